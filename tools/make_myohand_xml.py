#!/usr/bin/python3
"""Writes assets/myohand/: crossq's muscle-driven hand for the ten MyoSuite hand tasks.

An MJCF written here, with the structure of MyoSuite's hand (myo_sim, hand/assets/myohand_*.xml):
the forearm fixed in space, pronation-supination, the wrist (deviation, flexion), the thumb
(cmc abduction and flexion, mp and ip flexion) and four fingers (mcp flexion and abduction, pm
and md flexion): 23 hinges in the same kinematic tree, with the same joint axes, ranges and
damping; 39 Hill-type muscles (MuJoCo `muscle` actuators, activation time constants 0.01 / 0.04
s) with the original's names and peak forces; timestep 0.002. The numbers below are facts of that
model as MuJoCo 2.2.2 compiles it (body offsets, masses and inertias, collision capsules, site
positions, each muscle's moment arms).

What differs from the original: no bone meshes (the collision capsules are the only geometry);
each muscle pulls on a fixed tendon, so its moment arm on each joint it crosses is a constant,
the mean of the original's moment arm over the rest pose and the ten sign-language poses of
MyoSuite's pose tasks, instead of a spatial tendon wrapping over bones (each joint keeps
antagonistic muscles; checked below). Each muscle's length range is the range of its tendon
over the joint limits. The pen moves on a free joint, where the original chains three slides
and three hinges (Euler angles), whose mass matrix turns singular when the middle hinge nears
pi/2 and then blows up under MuJoCo's integrator once the pen is dropped.

Names of bodies, joints, sites, tendons and actuators are the original's, so the C++ task code
also runs on MyoSuite's own model files (CROSSQ_MYO_MODEL_DIR).

Run: /usr/bin/python3 tools/make_myohand_xml.py assets/myohand
"""
import os
import sys

BODIES = [  # name, parent, pos, mass, inertial pos, inertial quat, principal inertia
    ('radius', 'ulna', (0.0004, -0.011503, 0.019999), 0.23359, (0.033634, -0.18156, 0.0156), (0.77026, 0.63559, 0.011983, 0.050738), (0.00044118, 0.00041509, 0.0001)),
    ('lunate', 'radius', (0.018, -0.242, 0.025), 0.16378, (-0.00088622, -0.0091697, -0.0018688), (0.65285, 0.41212, 0.60101, 0.20671), (0.0001, 0.0001, 0.0001)),
    ('scaphoid', 'lunate', (0.012345, -0.004464, -0.001254), 0.02, (0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0), (0.0001, 0.0001, 0.0001)),
    ('pisiform', 'lunate', (-0.013388, -0.009886, -0.010593), 0.02, (0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0), (0.0001, 0.0001, 0.0001)),
    ('triquetrum', 'lunate', (-0.010784, -0.007499, -0.001289), 0.02, (0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0), (0.0001, 0.0001, 0.0001)),
    ('capitate', 'lunate', (0.003992, -0.015054, 0.002327), 0.00191223, (2.4998e-06, -4.3197e-06, 1.3404e-06), (0.81446, 0.56158, -0.12541, 0.074481), (0.0001, 0.0001, 0.0001)),
    ('trapezium', 'capitate', (0.015293, -0.004569, -0.010308), 0.02, (0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0), (0.0001, 0.0001, 0.0001)),
    ('firstmc', 'trapezium', (0.0072, -0.0054, -0.0025), 0.016, (0.0078, -0.0147, -0.006), (0.27698, 0.73806, -0.3966, 0.47038), (0.0001, 0.0001, 0.0001)),
    ('proximal_thumb', 'firstmc', (0.0165, -0.0292, -0.0127), 0.0079, (0.0096, -0.0163, -0.0063), (0.39954, 0.66162, 0.57743, 0.26304), (0.0001, 0.0001, 0.0001)),
    ('distal_thumb', 'proximal_thumb', (0.014, -0.0259, -0.0101), 0.003, (0.0056, -0.0104, -0.0044), (0.42471, 0.82047, -0.17592, 0.33985), (0.0001, 0.0001, 0.0001)),
    ('trapezoid', 'capitate', (0.009143, -0.004062, -0.002464), 0.02, (0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0), (0.0001, 0.0001, 0.0001)),
    ('hamate', 'capitate', (-0.010969, -0.002495, -0.00075), 0.02, (0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0), (0.0001, 0.0001, 0.0001)),
    ('secondmc', 'capitate', (0.014685, -0.03762, 0.005032), 0.02, (0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0), (0.0001, 0.0001, 0.0001)),
    ('proxph2', 'secondmc', (0.003501, -0.028243, 0.00362), 0.01, (0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0), (0.0001, 0.0001, 0.0001)),
    ('midph2', 'proxph2', (0.00751, -0.041273, 0.007326), 0.003, (0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0), (0.0001, 0.0001, 0.0001)),
    ('distph2', 'midph2', (0.003333, -0.024888, 0.00122), 0.002, (0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0), (0.0001, 0.0001, 0.0001)),
    ('thirdmc', 'capitate', (0.000477, -0.039239, 0.007377), 0.02, (0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0), (0.0001, 0.0001, 0.0001)),
    ('proxph3', 'thirdmc', (0.00024, -0.02629, 0.001778), 0.01, (0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0), (0.0001, 0.0001, 0.0001)),
    ('midph3', 'proxph3', (0.00165, -0.044211, 0.00623), 0.002, (0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0), (0.0001, 0.0001, 0.0001)),
    ('distph3', 'midph3', (0.001365, -0.029047, 0.001954), 0.002, (0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0), (0.0001, 0.0001, 0.0001)),
    ('fourthmc', 'capitate', (-0.012046, -0.040519, 0.003513), 0.02, (0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0), (0.0001, 0.0001, 0.0001)),
    ('proxph4', 'fourthmc', (-0.00183, -0.023689, -0.000173), 0.01, (0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0), (0.0001, 0.0001, 0.0001)),
    ('midph4', 'proxph4', (-0.003528, -0.040255, 0.001345), 0.003, (0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0), (0.0001, 0.0001, 0.0001)),
    ('distph4', 'midph4', (-0.002317, -0.024789, 0.000563), 0.002, (0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0), (0.0001, 0.0001, 0.0001)),
    ('fifthmc', 'capitate', (-0.021896, -0.034683, -0.004218), 0.02, (0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0), (0.0001, 0.0001, 0.0001)),
    ('proxph5', 'fifthmc', (-0.001597, -0.021431, -0.001496), 0.005, (0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0), (0.0001, 0.0001, 0.0001)),
    ('midph5', 'proxph5', (-0.005279, -0.035563, -0.002879), 0.002, (0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0), (0.0001, 0.0001, 0.0001)),
    ('distph5', 'midph5', (-0.002871, -0.020677, -0.002243), 0.001, (0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0), (0.0001, 0.0001, 0.0001)),
]
ULNA_WORLD =  ((-0.15748267, -0.19297607, 1.3990861), (0.70710695, 0.00028154394, -0.7071065, 0.00028154394))
JOINTS = [  # name, body, axis, range, damping
    ('pro_sup', 'radius', (-0.017161, 0.992666, -0.119668), (-1.5708, 1.5708), 0.5),
    ('deviation', 'lunate', (0, 0, 1), (-0.174533, 0.436332), 0.25),
    ('flexion', 'lunate', (1, 0, 0), (-0.785398, 0.785398), 0.25),
    ('cmc_abduction', 'firstmc', (-0.042399, -0.665286, 0.745384), (-0.5, 0.78), 0.05),
    ('cmc_flexion', 'firstmc', (0.495557, 0.731736, 0.467959), (-0.78, 0.7), 0.05),
    ('mp_flexion', 'proximal_thumb', (-0.084295, -0.203488, 0.975442), (-0.785398, 0.698132), 0.05),
    ('ip_flexion', 'distal_thumb', (-0.050102, -0.479623, 0.876043), (-1.309, 0.436332), 0.05),
    ('mcp2_flexion', 'proxph2', (0.995013, 0.09975, 0), (0, 1.5708), 0.05),
    ('mcp2_abduction', 'proxph2', (-0.054999, 0.085899, 0.994785), (-0.261799, 0.261799), 0.05),
    ('pm2_flexion', 'midph2', (0.97517, 0.0998334, -0.197677), (0, 1.5708), 0.05),
    ('md2_flexion', 'distph2', (0.995004, 0.0998334, 0), (0, 1.5708), 0.05),
    ('mcp3_flexion', 'proxph3', (0.980067, 0, 0.198669), (0, 1.5708), 0.05),
    ('mcp3_abduction', 'proxph3', (-0.198669, 0, 0.980067), (-0.261799, 0.261799), 0.05),
    ('pm3_flexion', 'midph3', (1, 0, 0), (0, 1.5708), 0.05),
    ('md3_flexion', 'distph3', (1, 0, 0), (0, 1.5708), 0.05),
    ('mcp4_flexion', 'proxph4', (0.900447, 0, 0.434966), (0, 1.5708), 0.05),
    ('mcp4_abduction', 'proxph4', (-0.434966, 0, 0.900447), (-0.261799, 0.261799), 0.05),
    ('pm4_flexion', 'midph4', (0.921061, 0, 0.389418), (0, 1.5708), 0.05),
    ('md4_flexion', 'distph4', (0.825336, 0, 0.564642), (0, 1.5708), 0.05),
    ('mcp5_flexion', 'proxph5', (0.825336, 0, 0.564642), (0, 1.5708), 0.05),
    ('mcp5_abduction', 'proxph5', (-0.564642, 0, 0.825336), (-0.261799, 0.261799), 0.05),
    ('pm5_flexion', 'midph5', (0.825336, 0, 0.564642), (0, 1.5708), 0.05),
    ('md5_flexion', 'distph5', (0.643112, -0.226804, 0.731414), (0, 1.5708), 0.05),
]
GEOMS = [  # body, type, size, pos, quat
    ('ulna', 'capsule', (0.015, 0.102286, 0.0), (-0.0075, -0.1, 0.0225), (0.643782, -0.7593, -0.0949124, 0.0)),
    ('radius', 'capsule', (0.02, 0.121037, 0.0), (0.02, -0.12, 0.01), (0.661843, -0.748993, -0.031208, 0.0)),
    ('radius', 'capsule', (0.02, 0.121912, 0.0), (0.0025, -0.12, 0.0075), (0.65439, -0.752088, -0.0783424, 0.0)),
    ('firstmc', 'capsule', (0.0095, 0.0205608, 0.0), (0.00725, -0.0126, -0.00485), (0.831202, -0.48566, -0.270624, 0.0)),
    ('proximal_thumb', 'capsule', (0.0085, 0.0155629, 0.0), (0.007, -0.01295, -0.00505), (0.813784, -0.511257, -0.276355, 0.0)),
    ('distal_thumb', 'capsule', (0.0065, 0.0108743, 0.0), (0.005, -0.009, -0.0035), (0.812976, -0.509019, -0.282788, 0.0)),
    ('distal_thumb', 'ellipsoid', (0.007, 0.0055, 0.002), (0.015, -0.018, -0.007), (0.466903, 0.531065, 0.466454, 0.531406)),
    ('secondmc', 'capsule', (0.01, 0.028, 0.0), (0.0, 0.0, 0.0), (0.757726, 0.646349, 0.0892393, 0.0109849)),
    ('proxph2', 'capsule', (0.009, 0.02, 0.0), (0.004, -0.021, 0.00362), (0.743646, 0.641407, 0.170361, -0.0810239)),
    ('midph2', 'capsule', (0.008, 0.012, 0.0), (0.0013, -0.012, 0.0), (0.72705, 0.660674, 0.168783, -0.0801334)),
    ('distph2', 'capsule', (0.007, 0.008, 0.0), (0.001, -0.008, 0.0), (0.72705, 0.660674, 0.168783, -0.0801334)),
    ('distph2', 'ellipsoid', (0.005, 0.008, 0.002), (0.003, -0.018, 0.0055), (0.990593, 0.103155, 0.0421185, 0.0794378)),
    ('thirdmc', 'capsule', (0.01, 0.028, 0.0), (0.0, 0.0, 0.0), (0.758352, 0.651826, 0.00379179, 0.00325916)),
    ('proxph3', 'capsule', (0.009, 0.022, 0.0), (0.001, -0.022, 0.004), (0.723001, 0.668192, 0.134859, -0.112259)),
    ('midph3', 'capsule', (0.008, 0.014, 0.0), (0.0012, -0.014, 0.0), (0.706847, 0.684988, 0.142874, -0.103663)),
    ('distph3', 'capsule', (0.007, 0.008, 0.0), (0.0013, -0.009, -0.002), (0.696489, 0.717132, 0.0174159, 0.017932)),
    ('distph3', 'ellipsoid', (0.0055, 0.008, 0.002), (0.002, -0.019, 0.003), (0.995004, 0.0998334, 0.0, 0.0)),
    ('fourthmc', 'capsule', (0.0095, 0.026, 0.0), (0.001, 0.002, -0.0), (0.71385, 0.699156, -0.0285692, -0.0279812)),
    ('proxph4', 'capsule', (0.0085, 0.018, 0.0), (-0.001, -0.02, 0.0008), (0.706822, 0.70626, -0.028288, -0.0282655)),
    ('midph4', 'capsule', (0.0075, 0.01, 0.0), (-0.0, -0.012, -0.001), (0.703282, 0.709785, -0.0281463, -0.0284066)),
    ('distph4', 'capsule', (0.0068, 0.008, 0.0), (0.0, -0.01, -0.002), (0.695836, 0.71646, -0.0348208, -0.0358529)),
    ('distph4', 'ellipsoid', (0.005, 0.008, 0.002), (-0.004, -0.019, 0.003), (0.964072, 0.0967298, -0.246168, -0.0246992)),
    ('fifthmc', 'capsule', (0.0095, 0.024, 0.0), (0.001, 0.002, -0.001), (0.695235, 0.715841, -0.0452541, -0.0465953)),
    ('proxph5', 'capsule', (0.008, 0.016, 0.0), (-0.003, -0.018, -0.002), (0.666629, 0.743713, -0.0333592, -0.0372166)),
    ('midph5', 'capsule', (0.007, 0.009, 0.0), (-0.001, -0.011, -0.0025), (0.666262, 0.743303, -0.0400237, -0.0446518)),
    ('distph5', 'capsule', (0.006, 0.007, 0.0), (-0.0002, -0.009, -0.002), (0.677709, 0.73363, -0.0339137, -0.0367121)),
    ('distph5', 'ellipsoid', (0.0045, 0.006, 0.002), (-0.005, -0.018, 0.0), (0.91646, 0.0919527, -0.387473, -0.038877)),
]
SITES = [  # name, body, pos
    ('S_grasp', 'trapezium', (-0.011, -0.06, -0.03)),
    ('target1_site', 'trapezium', (-0.03, -0.05, -0.02)),
    ('target2_site', 'trapezium', (0.005, -0.1, -0.02)),
    ('THtip', 'distal_thumb', (0.01, -0.02, -0.008)),
    ('IFtip', 'distph2', (0.002, -0.018, -0)),
    ('MFtip', 'distph3', (0.002, -0.019, -0.001)),
    ('RFtip', 'distph4', (-0.001, -0.018, 0.001)),
    ('LFtip', 'distph5', (-0.001, -0.017, -0.003)),
]
MUSCLES = [  # name, max force (N), mean moment arm per joint (m) over the rest pose and the ten sign-language poses
    ('ECRL', 337.3, {'pro_sup': 0.00356, 'deviation': -0.02364, 'flexion': 0.01166, }),
    ('ECRB', 252.2, {'pro_sup': 0.00156, 'deviation': -0.01420, 'flexion': 0.01533, }),
    ('ECU', 192.9, {'pro_sup': 0.00068, 'deviation': 0.02781, 'flexion': 0.00755, }),
    ('FCR', 407.9, {'pro_sup': -0.00262, 'deviation': -0.00397, 'flexion': -0.01846, }),
    ('FCU', 479.8, {'pro_sup': -0.00108, 'deviation': 0.01056, 'flexion': -0.01841, }),
    ('PL', 101, {'pro_sup': -0.00318, 'deviation': -0.00725, 'flexion': -0.02511, }),
    ('PT', 557.2, {'pro_sup': -0.01163, }),
    ('PQ', 284.7, {'pro_sup': -0.00696, }),
    ('FDS5', 75.3, {'pro_sup': -0.00186, 'deviation': 0.00041, 'flexion': -0.01528, 'mcp5_flexion': -0.00865, 'mcp5_abduction': 0.00223, 'pm5_flexion': -0.00735, }),
    ('FDS4', 171.2, {'pro_sup': -0.00219, 'deviation': -0.00131, 'flexion': -0.01486, 'mcp4_flexion': -0.00908, 'mcp4_abduction': -0.00131, 'pm4_flexion': -0.00425, }),
    ('FDS3', 258.8, {'pro_sup': -0.00289, 'deviation': -0.00733, 'flexion': -0.01463, 'mcp3_flexion': -0.01423, 'mcp3_abduction': 0.00091, 'pm3_flexion': -0.00847, }),
    ('FDS2', 162.5, {'pro_sup': -0.00315, 'deviation': -0.00956, 'flexion': -0.01412, 'mcp2_flexion': -0.01174, 'mcp2_abduction': -0.00105, 'pm2_flexion': -0.00527, }),
    ('FDP5', 236.8, {'pro_sup': -0.00186, 'deviation': -0.00093, 'flexion': -0.01160, 'mcp5_flexion': -0.00836, 'mcp5_abduction': 0.00104, 'pm5_flexion': -0.00623, 'md5_flexion': -0.00386, }),
    ('FDP4', 172.9, {'pro_sup': -0.00199, 'deviation': -0.00270, 'flexion': -0.01183, 'mcp4_flexion': -0.00902, 'mcp4_abduction': 0.00107, 'pm4_flexion': -0.00748, 'md4_flexion': -0.00370, }),
    ('FDP3', 212.4, {'pro_sup': -0.00244, 'deviation': -0.00525, 'flexion': -0.01170, 'mcp3_flexion': -0.01185, 'pm3_flexion': -0.01028, 'md3_flexion': -0.00318, }),
    ('FDP2', 197.3, {'pro_sup': -0.00258, 'deviation': -0.00962, 'flexion': -0.01160, 'mcp2_flexion': -0.01137, 'mcp2_abduction': -0.00112, 'pm2_flexion': -0.00792, 'md2_flexion': -0.00491, }),
    ('EDC5', 139.4, {'pro_sup': 0.00121, 'deviation': 0.01056, 'flexion': 0.01088, 'mcp5_flexion': 0.00552, 'mcp5_abduction': -0.00147, 'pm5_flexion': 0.00388, 'md5_flexion': 0.00294, }),
    ('EDC4', 109.2, {'pro_sup': 0.00184, 'deviation': 0.00905, 'flexion': 0.01732, 'mcp4_flexion': 0.00732, 'mcp4_abduction': -0.00341, 'pm4_flexion': 0.00346, 'md4_flexion': 0.00450, }),
    ('EDC3', 94.4, {'pro_sup': 0.00169, 'deviation': 0.00220, 'flexion': 0.01784, 'mcp3_flexion': 0.00820, 'mcp3_abduction': -0.00096, 'pm3_flexion': 0.00438, 'md3_flexion': 0.00303, }),
    ('EDC2', 48.8, {'pro_sup': 0.00137, 'deviation': -0.00227, 'flexion': 0.01732, 'mcp2_flexion': 0.00767, 'mcp2_abduction': -0.00023, 'pm2_flexion': 0.00460, 'md2_flexion': 0.00333, }),
    ('EDM', 72.4, {'pro_sup': 0.00058, 'deviation': 0.01450, 'flexion': 0.00947, 'mcp5_flexion': 0.00483, 'mcp5_abduction': 0.00271, 'pm5_flexion': 0.00285, 'md5_flexion': 0.00269, }),
    ('EIP', 47.3, {'pro_sup': 0.00029, 'deviation': 0.00280, 'flexion': 0.01277, 'mcp2_flexion': 0.00747, 'mcp2_abduction': -0.00136, 'pm2_flexion': 0.00580, 'md2_flexion': 0.00281, }),
    ('EPL', 88.3, {'pro_sup': 0.00181, 'deviation': -0.02274, 'flexion': 0.01340, 'cmc_abduction': -0.00699, 'cmc_flexion': 0.00768, 'mp_flexion': -0.01061, 'ip_flexion': -0.00792, }),
    ('EPB', 46, {'deviation': -0.03418, 'flexion': 0.00103, 'cmc_abduction': -0.01352, 'cmc_flexion': 0.00173, 'mp_flexion': -0.00969, }),
    ('FPL', 201, {'deviation': -0.02082, 'flexion': -0.01121, 'cmc_abduction': 0.00173, 'cmc_flexion': -0.00139, 'mp_flexion': 0.00499, 'ip_flexion': 0.00715, }),
    ('APL', 116.7, {'deviation': -0.02668, 'flexion': -0.00675, 'cmc_flexion': 0.00159, }),
    ('OP', 180, {'cmc_abduction': 0.01031, 'cmc_flexion': -0.00024, }),
    ('RI2', 61.2, {'mcp2_flexion': -0.00589, 'mcp2_abduction': -0.00371, }),
    ('LU_RB2', 61.2, {'mcp2_flexion': -0.00351, 'mcp2_abduction': -0.00622, 'pm2_flexion': 0.00351, }),
    ('UI_UB2', 61.2, {'mcp2_flexion': -0.00314, 'mcp2_abduction': 0.00692, 'pm2_flexion': 0.00247, }),
    ('RI3', 61.2, {'mcp3_flexion': -0.00785, 'mcp3_abduction': -0.00554, }),
    ('LU_RB3', 98, {'mcp3_flexion': -0.00462, 'mcp3_abduction': -0.00829, 'pm3_flexion': 0.00131, }),
    ('UI_UB3', 98, {'mcp3_flexion': -0.00324, 'mcp3_abduction': 0.00421, 'pm3_flexion': 0.00065, }),
    ('RI4', 97, {'mcp4_flexion': -0.00741, 'mcp4_abduction': -0.00771, }),
    ('LU_RB4', 76.9, {'mcp4_flexion': -0.00241, 'mcp4_abduction': -0.00435, 'pm4_flexion': 0.00050, }),
    ('UI_UB4', 76.9, {'mcp4_flexion': -0.00098, 'mcp4_abduction': 0.00409, 'pm4_flexion': 0.00279, }),
    ('RI5', 59.9, {'mcp5_flexion': -0.00864, 'mcp5_abduction': -0.00331, }),
    ('LU_RB5', 47.9, {'mcp5_flexion': -0.00285, 'mcp5_abduction': -0.00693, 'pm5_flexion': 0.00386, }),
    ('UI_UB5', 47.9, {'mcp5_flexion': -0.00273, 'mcp5_abduction': 0.00585, 'pm5_flexion': 0.00273, }),
]

# pairs of bodies whose capsules overlap by construction and do not collide
CONTACT_EXCLUDES = [('ulna', 'radius'), ('radius', 'firstmc'), ('proxph2', 'proxph3'),
                    ('proxph3', 'proxph4'), ('proxph4', 'proxph5')]

# the task objects (MyoSuite envs/myo/assets/hand/myohand_{pose,keyturn,hold,pen}.xml)
REACH_TARGETS = ['THtip', 'IFtip', 'MFtip', 'RFtip', 'LFtip']
KEY = {'pos': (-0.15, -0.55, 1.425), 'quat': (0.453596, 0, 0, 0.891207), 'mass': 0.0313988,
       'ipos': (-0.031796, 0.001223, 0)}
HOLD = {'pos': (-0.235, -0.51, 1.45), 'size': (0.025, 0.036, 0.030), 'goal': (-0.240, -0.520, 1.470),
        'mass': 0.113097}
PEN = {'pos': (-0.23, -0.53, 1.445), 'quat': (0.805072, 0, 0.593178, 0), 'mass': 0.182038,
       'ipos': (-0.00047463, 0, -0.0091025), 'iquat': (0.7071, 0.0019094, 0.0019094, 0.7071),
       'inertia': (0.00028583, 0.00028462, 0.0001), 'target': (0, -0.54, 1.382)}


def v(t):
    return ' '.join(f'{x:.6g}' for x in t)


def check_antagonists():
    """every joint has muscles pulling it both ways (moment arm of 1 mm or more)"""
    for name, *_ in JOINTS:
        arms = [a[name] for _, _, a in MUSCLES if name in a]
        if not (any(x >= 1e-3 for x in arms) and any(x <= -1e-3 for x in arms)):
            raise SystemExit(f'joint {name} lacks an antagonistic pair: {arms}')


def tendon_range(arms):
    rng = {j[0]: j[3] for j in JOINTS}
    lo = sum(min(c * rng[j][0], c * rng[j][1]) for j, c in arms.items())
    hi = sum(max(c * rng[j][0], c * rng[j][1]) for j, c in arms.items())
    return lo, hi


def assets_xml():
    out = ['<mujoco>',
           '  <!-- written by tools/make_myohand_xml.py: defaults, tendons and muscles of the hand -->',
           '  <compiler angle="radian"/>',
           '  <option timestep="0.002"/>',
           '  <size njmax="1000" nconmax="200"/>',
           '  <default>',
           '    <default class="myohand">',
           '      <joint limited="true" damping="0.05" armature="0.0001"/>',
           '      <geom type="capsule" contype="1" conaffinity="1" condim="3" margin="0.001" solref="0.02 1"',
           '            solimp="0.8 0.8 0.01" rgba="0.8 0.7 0.5 1"/>',
           '      <site size="0.005" rgba="0.9 0.2 0.2 1"/>',
           '    </default>',
           '    <default class="muscle">',
           '      <muscle ctrllimited="true" ctrlrange="0 1"/>',
           '    </default>',
           '  </default>',
           '  <contact>']
    for a, b in CONTACT_EXCLUDES:
        out.append(f'    <exclude body1="{a}" body2="{b}"/>')
    out += ['  </contact>',
            '  <tendon>']
    for name, _, arms in MUSCLES:
        out.append(f'    <fixed name="{name}_tendon">')
        for j, c in arms.items():
            out.append(f'      <joint joint="{j}" coef="{c:.5f}"/>')
        out.append('    </fixed>')
    out += ['  </tendon>', '  <actuator>']
    for name, force, arms in MUSCLES:
        lo, hi = tendon_range(arms)
        out.append(f'    <muscle name="{name}" class="muscle" tendon="{name}_tendon" force="{force:g}" '
                   f'lengthrange="{lo:.6f} {hi:.6f}"/>')
    out += ['  </actuator>', '</mujoco>']
    return out


def body_xml():
    out = ['<mujoco>', '  <!-- written by tools/make_myohand_xml.py: the forearm and hand (worldbody) -->']
    children = {}
    for b in BODIES:
        children.setdefault(b[1], []).append(b)
    joints = {}
    for j in JOINTS:
        joints.setdefault(j[1], []).append(j)
    geoms = {}
    for g in GEOMS:
        geoms.setdefault(g[0], []).append(g)
    sites = {}
    for s in SITES:
        sites.setdefault(s[1], []).append(s)

    def contents(name, ind):
        for g in geoms.get(name, []):
            size = v(g[2][:3 if g[1] in ('ellipsoid', 'box') else 2])
            out.append(f'{ind}<geom type="{g[1]}" size="{size}" pos="{v(g[3])}" quat="{v(g[4])}"/>')
        for s in sites.get(name, []):
            out.append(f'{ind}<site name="{s[0]}" pos="{v(s[2])}"/>')

    def emit(b, ind):
        name, _, pos, mass, ipos, iquat, inertia = b
        out.append(f'{ind}<body name="{name}" pos="{v(pos)}">')
        out.append(f'{ind}  <inertial pos="{v(ipos)}" quat="{v(iquat)}" mass="{mass:g}" diaginertia="{v(inertia)}"/>')
        for j in joints.get(name, []):
            out.append(f'{ind}  <joint name="{j[0]}" axis="{v(j[2])}" range="{v(j[3])}" damping="{j[4]:g}"/>')
        contents(name, ind + '  ')
        for c in children.get(name, []):
            emit(c, ind + '  ')
        out.append(f'{ind}</body>')

    pos, quat = ULNA_WORLD
    out.append(f'  <body name="ulna" childclass="myohand" pos="{v(pos)}" quat="{v(quat)}">')
    contents('ulna', '    ')
    for c in children['ulna']:
        emit(c, '    ')
    out += ['  </body>', '</mujoco>']
    return out


def task_xml(model, world, extra=()):
    out = [f'<mujoco model="{model}">',
           '  <!-- written by tools/make_myohand_xml.py -->',
           '  <include file="myohand_assets.xml"/>',
           '  <worldbody>',
           '    <light pos="0 -0.5 3" dir="0 0 -1"/>',
           '    <geom name="floor" type="plane" size="2 2 0.1" rgba="0.4 0.45 0.5 1"/>',
           '    <include file="myohand_body.xml"/>']
    out += ['    ' + w for w in world]
    out.append('  </worldbody>')
    out += ['  ' + e for e in extra]
    out.append('</mujoco>')
    return out


def main():
    check_antagonists()
    folder = sys.argv[1] if len(sys.argv) > 1 else 'assets/myohand'
    os.makedirs(folder, exist_ok=True)
    files = {'myohand_assets.xml': assets_xml(), 'myohand_body.xml': body_xml()}
    colors = ['0.8 0 0 0.8', '0 0.8 0 0.8', '0 0 0.8 0.8', '0.8 0.8 0 0.8', '0.8 0 0.8 0.8']
    files['myohand_pose.xml'] = task_xml('crossq myohand: reach and pose', [
        f'<site name="{t}_target" pos="0 0 0.002" size="0.005" rgba="{c}"/>' for t, c in zip(REACH_TARGETS, colors)])
    k = KEY
    files['myohand_keyturn.xml'] = task_xml('crossq myohand: key turn', [
        f'<body name="key" pos="{v(k["pos"])}" quat="{v(k["quat"])}">',
        f'  <inertial pos="{v(k["ipos"])}" mass="{k["mass"]:g}" diaginertia="0.0001 0.0001 0.0001"/>',
        '  <joint name="keyjoint" type="hinge" axis="1 0 0" frictionloss="0.02" damping="0.1"/>',
        '  <geom name="keyhead" type="ellipsoid" size="0.03 0.03 0.004" rgba="0.6 0.6 0.5 1"/>',
        '  <geom type="capsule" size="0.005 0.07" pos="-0.045 0 0" quat="0.707388 0 0.706825 0" rgba="0.6 0.6 0.5 1"/>',
        '  <geom type="box" size="0.015 0.01 0.004" pos="-0.1 0.008 0" rgba="0.6 0.6 0.5 1"/>',
        '  <site name="keyhead" size="0.005"/>',
        '</body>'])
    h = HOLD
    files['myohand_hold.xml'] = task_xml('crossq myohand: object hold', [
        f'<site name="goal" type="ellipsoid" size="{v(h["size"])}" pos="{v(h["goal"])}" rgba="0 1 0 0.2"/>',
        f'<body name="object" pos="{v(h["pos"])}">',
        f'  <inertial pos="0 0 0" mass="{h["mass"]:g}" diaginertia="0.0001 0.0001 0.0001"/>',
        '  <freejoint/>',
        f'  <geom name="object" type="ellipsoid" size="{v(h["size"])}" condim="1" rgba="0.4 0.6 0.98 1"/>',
        '  <site name="object" size="0.005"/>',
        '</body>'])
    p = PEN
    files['myohand_pen.xml'] = task_xml('crossq myohand: pen twirl', [
        f'<site name="eps_ball" type="sphere" pos="{v(p["pos"])}" size="0.075" rgba="1 1 0 0.2"/>',
        f'<body name="Object" pos="{v(p["pos"])}" quat="{v(p["quat"])}">',
        f'  <inertial pos="{v(p["ipos"])}" quat="{v(p["iquat"])}" mass="{p["mass"]:g}" diaginertia="{v(p["inertia"])}"/>',
        '  <freejoint name="OBJ"/>',
        '  <geom name="pen" type="cylinder" size="0.015 0.065" condim="4" rgba="0.6 0.6 0.6 1"/>',
        '  <site name="object_top" pos="0 0 0.065" rgba="0.8 0.2 0.2 1"/>',
        '  <site name="object_bottom" pos="0 0 -0.065" rgba="0.2 0.8 0.2 1"/>',
        '</body>',
        f'<body name="target" pos="{v(p["target"])}">',
        '  <geom name="target" type="cylinder" size="0.015 0.065" condim="4" rgba="0.6 0.6 0.6 0.3"/>',
        '  <site name="target_top" pos="0 0 0.065" rgba="0.8 0.2 0.2 1"/>',
        '  <site name="target_bottom" pos="0 0 -0.065" rgba="0.2 0.8 0.2 1"/>',
        '</body>'])
    for name, lines in files.items():
        with open(os.path.join(folder, name), 'w') as f:
            f.write('\n'.join(lines) + '\n')


if __name__ == '__main__':
    main()
