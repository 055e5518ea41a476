#!/usr/bin/python3
"""Writes assets/dog.xml: crossq's dog for dog-stand / walk / trot / run.

An MJCF written here, with the structure of the dog of DeepMind Control (dm_control,
suite/dog.xml): a free root and 73 hinges in the same kinematic tree, 38 `general` actuators
with a first-order filter (30 on joints, 8 on fixed tendons along the lumbar, cervical and
caudal chains), foot touch and force sensors, head inertial sensors, timestep 0.005 with 4
no-slip iterations. The numbers below are facts of that model (body offsets, joint axes,
ranges, stiffness and damping per joint class, actuator gains, tendon coefficients, sensor
sites) and of its compiled physics (each body's mass and inertia, which the original derives
from bone meshes at density 1100 plus collision primitives at 300). What differs: no meshes;
each body carries its measured inertia explicitly, and the contact geometry is simple
primitives (capsules along the limb segments, spheres on the spine and neck, an ellipsoid
torso) sized here (docs/tasks.md says how the dog differs from the original).

Names of bodies, joints, tendons, actuators, sites and sensors are the original's, so the
C++ task code runs on the original model file too (CROSSQ_DMC_MODEL_DIR).

Run: /usr/bin/python3 tools/make_dog_xml.py > assets/dog.xml
"""
import math

# each body's mass, inertial frame (pos, quat) and principal moments, as MuJoCo 2.2.2 compiles
# the original model
INERTIA = {
    'torso': (2.67577, (-1.5426e-07, 0, 2.4738e-07), (0.45517, 0.54113, 0.54113, 0.45517), (0.026026, 0.023326, 0.011595)),
    'L_1': (0.170555, (4.2863e-09, 1.5254e-10, -0.01842), (0.7071, 0.0037283, 0.0037283, 0.7071), (0.00016334, 0.00016331, 0.00015815)),
    'L_2': (0.171323, (1.528e-07, -5.2727e-11, -0.018337), (0.70709, 0.0042776, 0.0042776, 0.70709), (0.00016371, 0.0001637, 0.00015826)),
    'L_3': (0.172512, (1.7298e-07, -2.2182e-10, -0.018211), (1, 2.5733e-08, 0.0023138, 1.1122e-05), (0.00016435, 0.00016429, 0.00015841)),
    'L_4': (0.175862, (-4.4751e-07, -6.113e-10, -0.017864), (0.99999, 0, -0.0047832, 0), (0.000166, 0.00016591, 0.00015902)),
    'L_5': (0.177314, (-2.3994e-07, -1.763e-09, -0.017718), (0.99988, 0, -0.015577, 0), (0.00016693, 0.00016661, 0.00015928)),
    'L_6': (0.177178, (3.4124e-07, -1.9616e-09, -0.017731), (0.99985, 0, -0.017199, 0), (0.00016687, 0.00016653, 0.00015929)),
    'L_7': (0.178116, (5.1225e-07, -2.3695e-09, -0.017638), (0.9998, 0, -0.020084, 0), (0.00016714, 0.00016688, 0.00015979)),
    'pelvis': (1.2742, (0.0080873, -1.2229e-08, -0.0047087), (0, 0.55336, 0, 0.83294), (0.0038371, 0.003375, 0.0016154)),
    'upper_leg_L': (0.704996, (-0.015552, 0.015429, -0.075235), (0.53655, 0.12466, -0.033527, 0.83394), (0.0027552, 0.0025971, 0.00059234)),
    'lower_leg_L': (0.267692, (-0.080185, -9.6543e-06, -0.057859), (0.80094, 0.18704, 0.42069, 0.38279), (0.0011633, 0.0011585, 4.2446e-05)),
    'foot_L': (0.0878136, (-0.011413, 0.0039923, -0.044835), (0.96767, 0.0069809, -3.2282e-05, 0.25211), (0.00017521, 0.0001725, 9.6579e-06)),
    'foot_anchor_L': (0.0003, (0, 0, 0), (1, 0, 0, 0), (5e-09, 5e-09, 5e-09)),
    'toe_L': (0.0330074, (0.024928, -0.00047693, -0.019932), (0.24217, 0.80828, -0.10172, 0.52696), (1.3849e-05, 9.8089e-06, 8.9205e-06)),
    'upper_leg_R': (0.704996, (-0.015552, -0.015429, -0.075235), (0.83394, -0.033527, 0.12466, 0.53655), (0.0027552, 0.0025971, 0.00059234)),
    'lower_leg_R': (0.267692, (-0.080185, 9.5755e-06, -0.057859), (0.38279, 0.42069, 0.18704, 0.80094), (0.0011633, 0.0011585, 4.2446e-05)),
    'foot_R': (0.0878136, (-0.011413, -0.0039924, -0.044835), (0.96767, -0.0069809, -3.2283e-05, -0.25211), (0.00017521, 0.0001725, 9.6579e-06)),
    'foot_anchor_R': (0.0003, (0, 0, 0), (1, 0, 0, 0), (5e-09, 5e-09, 5e-09)),
    'toe_R': (0.0330074, (0.024928, 0.0004769, -0.019932), (-0.24217, 0.80828, 0.10172, 0.52696), (1.3849e-05, 9.8089e-06, 8.9205e-06)),
    'Ca_1': (0.00808628, (3.5794e-06, -8.362e-09, -3.8864e-06), (0, 0.4196, 0, 0.90771), (8.0504e-07, 7.9664e-07, 5.2156e-07)),
    'Ca_2': (0.00702516, (3.1789e-06, -8.6675e-09, 2.9096e-06), (0, 0.51164, 0, 0.8592), (7.553e-07, 7.5041e-07, 3.8113e-07)),
    'Ca_3': (0.00617594, (2.8069e-06, -7.9166e-09, -4.389e-06), (0, 0.44901, 0, 0.89353), (7.3589e-07, 7.319e-07, 2.9306e-07)),
    'Ca_4': (0.00432204, (4.8867e-06, -1.0959e-08, -1.4063e-06), (0, 0.39441, 0, 0.91894), (4.4445e-07, 4.4105e-07, 1.4043e-07)),
    'Ca_5': (0.00301325, (1.9298e-06, -7.1517e-12, 3.8335e-06), (0.0073058, 0.50965, 0.0050246, 0.86034), (2.5024e-07, 2.4867e-07, 6.2588e-08)),
    'Ca_6': (0.00284147, (-1.8304e-06, 6.0014e-11, 2.0488e-09), (-0.014581, 0.47369, -0.007547, 0.88054), (2.2926e-07, 2.2822e-07, 5.4895e-08)),
    'Ca_7': (0.00257218, (1.9008e-06, 3.2134e-12, -8.7709e-07), (0.62321, 0.32952, 0.32581, 0.62998), (1.9339e-07, 1.9316e-07, 4.803e-08)),
    'Ca_8': (0.0016033, (-3.6054e-07, -1.877e-09, -1.5754e-06), (-0.22403, 0.40034, -0.10176, 0.88271), (9.0044e-08, 8.9998e-08, 1.4636e-08)),
    'Ca_9': (0.00200686, (-4.8466e-06, -1.6044e-09, -1.552e-08), (0.7194, 0.24021, 0.29795, 0.57964), (1.4917e-07, 1.4912e-07, 2.246e-08)),
    'Ca_10': (0.0027774, (-3.8011e-06, -1.1988e-09, 8.0203e-07), (-0.055024, 0.39716, -0.023434, 0.9158), (3.2316e-07, 3.2294e-07, 3.2386e-08)),
    'Ca_11': (0.00247681, (-4.5867e-08, 1.7146e-09, 3.6296e-06), (-0.044239, 0.41597, -0.020132, 0.90808), (2.787e-07, 2.7828e-07, 2.6639e-08)),
    'Ca_12': (0.00210825, (-1.1154e-06, 2.2281e-10, -4.2092e-06), (-0.067175, 0.43232, -0.032219, 0.89864), (2.3106e-07, 2.3089e-07, 1.9447e-08)),
    'Ca_13': (0.00154024, (-1.5794e-06, 1.522e-09, -1.2009e-08), (0.65681, 0.301, 0.32349, 0.61102), (1.3583e-07, 1.3578e-07, 1.2761e-08)),
    'Ca_14': (0.00174438, (3.9059e-06, -8.0766e-11, 3.612e-06), (0.68073, 0.29564, 0.3441, 0.57516), (1.6693e-07, 1.6685e-07, 1.3367e-08)),
    'Ca_15': (0.00104339, (3.3718e-06, 5.1724e-10, -4.4389e-07), (-0.083613, 0.55813, -0.059816, 0.82336), (7.3651e-08, 7.362e-08, 5.9331e-09)),
    'Ca_16': (0.000921978, (-4.2489e-06, 1.2605e-10, -1.8936e-06), (-0.085016, 0.5886, -0.065817, 0.80125), (7.2796e-08, 7.2758e-08, 4.4865e-09)),
    'Ca_17': (0.00126059, (1.5136e-06, 2.3294e-10, 8.4095e-07), (-0.1046, 0.65534, -0.095041, 0.74199), (1.2435e-07, 1.2431e-07, 7.4438e-09)),
    'Ca_18': (0.00118699, (1.2295e-06, 1.0849e-10, 4.9815e-06), (0.51343, 0.48795, 0.4862, 0.51176), (1.1352e-07, 1.1343e-07, 6.9044e-09)),
    'Ca_19': (0.000897858, (-3.6363e-06, 1.7604e-09, 7.3241e-07), (-0.064025, 0.75105, -0.07658, 0.65266), (8.3941e-08, 8.3903e-08, 4.0479e-09)),
    'Ca_20': (0.000526477, (-1.9507e-06, 2.6098e-10, -2.415e-06), (-0.082662, 0.75899, -0.098524, 0.63828), (3.7269e-08, 3.7241e-08, 1.4069e-09)),
    'Ca_21': (0.000307945, (3.7435e-06, -5.0816e-11, 2.826e-07), (-0.017531, 0.80227, -0.023589, 0.59624), (1.8614e-08, 1.8592e-08, 6.1739e-10)),
    'C_7': (0.434191, (-1.9669e-08, 1.1799e-10, 3.0139e-09), (0.97653, 0, -0.2154, 0), (0.00084519, 0.00084514, 0.000845)),
    'C_6': (0.335389, (-1.8187e-10, 3.1459e-10, 4.8637e-08), (0.97511, 0, -0.22174, 0), (0.00054076, 0.0005406, 0.00054028)),
    'C_5': (0.25182, (1.1833e-07, 4.9306e-10, -5.5301e-08), (0.68346, -0.18132, -0.18132, 0.68346), (0.00033094, 0.00033094, 0.00033062)),
    'C_4': (0.185267, (1.7716e-07, 9.1468e-10, 1.4764e-09), (0.70672, -0.023458, -0.023458, 0.70672), (0.00019281, 0.00019246, 0.00019229)),
    'C_3': (0.147027, (7.1947e-08, 3.3799e-09, 4.66e-07), (0.67507, -0.21042, -0.21042, 0.67507), (0.00010733, 0.00010708, 0.00010632)),
    'C_2': (0.127752, (4.4309e-07, 7.7133e-09, -1.3066e-06), (0.6522, 0.27318, 0.27318, 0.6522), (6.7585e-05, 6.3976e-05, 5.8956e-05)),
    'C_1': (0.0910616, (-1.8526e-06, 3.4757e-08, -9.8473e-08), (0.99956, -1.847e-05, 0.02973, -4.0248e-07), (3.7852e-05, 3.2049e-05, 3.0789e-05)),
    'skull': (0.357923, (-0.0023917, 0, 0.0023167), (0, 0.81647, 0, 0.57739), (0.00072864, 0.00064468, 0.00028384)),
    'jaw': (0.13329, (-0.0015134, 0, -0.00096033), (0, 0.89706, 0, 0.44191), (0.0002144, 0.00018551, 6.3481e-05)),
    'scapula_L': (0.226948, (0.038823, 0.030833, -0.064928), (0.73469, -0.16444, -0.27169, 0.59948), (0.0003309, 0.0002766, 8.1544e-05)),
    'upper_arm_L': (0.191645, (-0.018023, 0.00985, -0.077038), (0.56918, 0.17822, 0.080004, 0.79867), (0.00060176, 0.0005978, 2.5814e-05)),
    'lower_arm_L': (0.185708, (-0.0048588, -0.0041013, -0.081185), (0.73711, -0.052541, 0.0040059, 0.67372), (0.00072125, 0.00071639, 2.3072e-05)),
    'hand_anchor_L': (0.0003, (0, 0, 0), (1, 0, 0, 0), (5e-09, 5e-09, 5e-09)),
    'hand_L': (0.0302825, (0.01001, 0.00032377, -0.035121), (0.97789, 0.0037262, -0.19102, 0.084981), (1.4915e-05, 1.3176e-05, 3.7097e-06)),
    'finger_L': (0.0291757, (0.021815, 0.0013396, -0.013714), (-0.038496, 0.81571, 0.021468, 0.57678), (1.1764e-05, 7.7521e-06, 7.3244e-06)),
    'scapula_R': (0.226948, (0.038823, -0.030833, -0.064928), (0.59948, -0.27169, -0.16444, 0.73469), (0.0003309, 0.0002766, 8.1544e-05)),
    'upper_arm_R': (0.191645, (-0.018023, -0.00985, -0.077038), (0.79867, 0.080004, 0.17822, 0.56918), (0.00060176, 0.0005978, 2.5814e-05)),
    'lower_arm_R': (0.185708, (-0.0048588, 0.0041014, -0.081185), (0.67372, 0.0040059, -0.052541, 0.73711), (0.00072125, 0.00071639, 2.3072e-05)),
    'hand_anchor_R': (0.0003, (0, 0, 0), (1, 0, 0, 0), (5e-09, 5e-09, 5e-09)),
    'hand_R': (0.0302825, (0.01001, -0.00032376, -0.035121), (0.97789, -0.0037263, -0.19102, -0.084981), (1.4915e-05, 1.3176e-05, 3.7097e-06)),
    'finger_R': (0.0291757, (0.021815, -0.0013396, -0.013714), (0.038494, 0.81571, -0.021467, 0.57678), (1.1764e-05, 7.7521e-06, 7.3244e-06)),
}

# the kinematic tree: body -> (parent, position in the parent's frame, hinges). A hinge is
# (name, joint class, axis or None for the class's, position or None for the class's).
L, R = 1, -1
TREE = [
    ('torso', None, (0.040403, 0, 0.41522), []),
    ('L_1', 'torso', (-0.1235, 0, 0.09287), [('L_1_extend', 'lumbar_extend', (0, 1, 0), None), ('L_1_bend', 'lumbar_bend', (0, 0, 1), None)]),
    ('L_2', 'L_1', (-0.023024, 0, 0.00096026), [('L_2_twist', 'lumbar_twist', (1, 0, 0), None)]),
    ('L_3', 'L_2', (-0.0233, 0, 0.00039242), [('L_3_extend', 'lumbar_extend', (0, 1, 0), None), ('L_3_bend', 'lumbar_bend', (0, 0, 1), None)]),
    ('L_4', 'L_3', (-0.024246, 0, -0.00041778), [('L_4_twist', 'lumbar_twist', (1, 0, 0), None)]),
    ('L_5', 'L_4', (-0.024458, 0, -0.00014988), [('L_5_extend', 'lumbar_extend', (0, 1, 0), None), ('L_5_bend', 'lumbar_bend', (0, 0, 1), None)]),
    ('L_6', 'L_5', (-0.023445, 0, 0.00066898), [('L_6_twist', 'lumbar_twist', (1, 0, 0), None)]),
    ('L_7', 'L_6', (-0.026399, 0, 0.0014219), [('L_7_extend', 'lumbar_extend', (0, 1, 0), None), ('L_7_bend', 'lumbar_bend', (0, 0, 1), None)]),
    ('pelvis', 'L_7', (-0.080217, 0, -0.034801), []),
]
for side, s in (('L', L), ('R', R)):
    TREE += [
        (f'upper_leg_{side}', 'pelvis', (-0.018108, s * 0.047237, -0.012597),
         [(f'hip_{side}_supinate', 'hip_supinate', (0, 0, s), None), (f'hip_{side}_abduct', 'hip_abduct', (s, 0, 0), None),
          (f'hip_{side}_extend', 'hip_extend', (0, 1, 0), None)]),
        (f'lower_leg_{side}', f'upper_leg_{side}', (-0.023037, s * 0.0311, -0.16702), [(f'knee_{side}', 'knee', (0, -1, 0), None)]),
        (f'foot_{side}', f'lower_leg_{side}', (-0.17914, -s * 0.0056423, -0.13824), [(f'ankle_{side}', 'ankle', (0, 1, 0), None)]),
        (f'foot_anchor_{side}', f'foot_{side}', (-0.015043, s * 0.0081311, -0.11993), []),
        (f'toe_{side}', f'foot_anchor_{side}', (0, 0, 0), [(f'toe_{side}', 'toe', (0, 1, 0), None)]),
    ]
# the tail: Ca_1 on the pelvis, each vertebra on the previous; odd ones extend, even ones bend
CAUDAL = [  # (position, hinge axis, hinge position)
    ((0.0082462, 0, 0.04354), (0, 1, 0), (0.011214, 0, -0.0020078)),
    ((-0.01491, 0, 4.6796e-05), (-0.0031385, 0, -1), (0.011646, 0, -3.6552e-05)),
    ((-0.01408, 0, -0.0010873), (0, 1, 0), (0.01091, 0, 0.00084249)),
    ((-0.012508, 0, -0.002837), (0.2212, 0, -0.97523), (0.010088, 0, 0.0022882)),
    ((-0.013783, -1.652e-06, -0.0065348), (0, 1, 0), (0.010037, 1.203e-06, 0.0047586)),
    ((-0.016384, -1.0009e-05, -0.0098338), (0.51463, 0, -0.85741), (0.0082633, 5.0481e-06, 0.0049597)),
    ((-0.016206, 1.4193e-05, -0.011471), (0, 1, 0), (0.0081104, -7.103e-06, 0.0057407)),
    ((-0.018452, 0.00021258, -0.013121), (0.57949, 0, -0.81493), (0.0089967, -0.00010365, 0.0063975)),
    ((-0.019834, -1.086e-05, -0.017678), (0, 1, 0), (0.0090216, 4.9397e-06, 0.008041)),
    ((-0.023389, 1.1411e-05, -0.022029), (0.68563, 0, -0.72795), (0.012071, -5.8892e-06, 0.011369)),
    ((-0.024196, -5.3444e-06, -0.022377), (0, 1, 0), (0.011106, 2.453e-06, 0.010271)),
    ((-0.024081, -5.5423e-05, -0.019678), (0.63276, 0, -0.77434), (0.011708, 2.6945e-05, 0.0095669)),
    ((-0.02323, -1.2027e-05, -0.017776), (0, 1, 0), (0.010237, 5.3e-06, 0.0078334)),
    ((-0.023245, -9.0352e-05, -0.018326), (0.61911, 0, -0.78529), (0.012094, 4.7007e-05, 0.0095343)),
    ((-0.024641, 5.041e-05, -0.014254), (0, 1, 0), (0.010103, -2.0668e-05, 0.005844)),
    ((-0.023338, -3.1369e-05, -0.0085014), (0.34227, 0, -0.9396), (0.011122, 1.4949e-05, 0.0040515)),
    ((-0.024444, -1.4083e-05, -0.0053673), (0, 1, 0), (0.012585, 7.2505e-06, 0.0027633)),
    ((-0.02601, 1.3546e-05, -0.0022059), (0.084506, 0, -0.99642), (0.013759, -7.1658e-06, 0.0011669)),
    ((-0.026655, 3.2028e-05, 0.00068575), (0, 1, 0), (0.013735, -1.6504e-05, -0.00035336)),
    ((-0.026838, -6.5667e-05, 0.0040269), (-0.14838, 0, -0.98893), (0.012076, 2.9547e-05, -0.0018119)),
    ((-0.020294, 4.4629e-05, 0.0048627), (0, 1, 0), (0.010185, -2.2399e-05, -0.0024405)),
]
for i, (pos, axis, jpos) in enumerate(CAUDAL, start=1):
    kind = 'extend' if i % 2 else 'bend'
    TREE.append((f'Ca_{i}', 'pelvis' if i == 1 else f'Ca_{i - 1}', pos, [(f'Ca_{i}_{kind}', f'caudal_{kind}', axis, jpos)]))
# the neck: C_7 on the torso up to C_1, then the skull and the jaw
CERVICAL = [  # (body, position, hinges as (kind, axis)), hinge position
    ('C_7', (0.1433, 0, 0.0869), [('extend', (0, 1, 0)), ('bend', (-0.10274, 0, 0.99471))], (-0.015711, 0, -0.0016227)),
    ('C_6', (0.018193, 0, 0.0093423), [('twist', (0.88957, 0, 0.4568))], (-0.013896, 0, -0.0071356)),
    ('C_5', (0.013355, 0, 0.025525), [('extend', (0, 1, 0)), ('bend', (-0.88605, 0, 0.46359))], (-0.0074555, 0, -0.01425)),
    ('C_4', (0.010919, 0, 0.034482), [('twist', (0.30188, 0, 0.95334))], (-0.0050618, 0, -0.015985)),
    ('C_3', (0.0062566, 0, 0.036103), [('extend', (0, 1, 0)), ('bend', (-0.98531, 0, 0.17075))], (-0.0028252, 0, -0.016302)),
    ('C_2', (0.0075908, 0, 0.036994), [('twist', (0.201, 0, 0.97959))], (-0.0048286, 0, -0.023533)),
    ('C_1', (0.023095, 0, 0.032123), [('extend', (0, 1, 0)), ('bend', (-0.81194, 0, 0.58375))], (-0.011471, 0, -0.015955)),
]
parent = 'torso'
for body, pos, hinges, jpos in CERVICAL:
    TREE.append((body, parent, pos, [(f'{body}_{k}', f'cervical_{k}', axis, jpos) for k, axis in hinges]))
    parent = body
TREE += [
    ('skull', 'C_1', (0.077928, 0, 0.017833), [('atlas', 'atlas', None, (-0.062463, 0, 0))]),
    ('jaw', 'skull', (0.0082923, 0, -0.058237), [('mandible', 'mandible', (0, 1, 0), (-0.043, 0, 0.05))]),
]
for side, s in (('L', L), ('R', R)):
    TREE += [
        (f'scapula_{side}', 'torso', (0.08, s * 0.02, 0.14),
         [(f'scapula_{side}_supinate', 'scapula_supinate', (0, 0, s), (-0.03, s * 0.02, 0)),
          (f'scapula_{side}_abduct', 'scapula_abduct', (s, 0, 0), (0, s * 0.05, -0.07)),
          (f'scapula_{side}_extend', 'scapula_extend', (s * 0.3, 1, 0), (0, 0, 0))]),
        (f'upper_arm_{side}', f'scapula_{side}', (0.075, s * 0.033, -0.13),
         [(f'shoulder_{side}_supinate', 'shoulder_supinate', (-s, 0, s), None),
          (f'shoulder_{side}_extend', 'shoulder_extend', (0, 1, 0), None)]),
        (f'lower_arm_{side}', f'upper_arm_{side}', (-0.05, s * 0.015, -0.145), [(f'elbow_{side}', 'elbow', (0, 1, s * 0.2), None)]),
        (f'hand_anchor_{side}', f'lower_arm_{side}', (0.003, -s * 0.015, -0.19), []),
        (f'hand_{side}', f'hand_anchor_{side}', (0, 0, 0), [(f'wrist_{side}', 'wrist', (0, -1, 0), None)]),
        (f'finger_{side}', f'hand_{side}', (0.02, 0, -0.06), [(f'finger_{side}', 'finger', (0, 1, s * 0.2), None)]),
    ]

# joint classes: (range in degrees, stiffness, damping, armature, extra attributes); unset
# values take the defaults: stiffness 0.1, damping 0.01, armature 0.0001
JOINT_CLASSES = {
    'lumbar_extend': ((-24.5, 24.5), 30.0, 3.0, 0.01, {'pos': '0.012 0 0.01'}),
    'lumbar_bend': ((-21, 21), 45.0, 3.0, 0.01, {'pos': '0.012 0 0.01'}),
    'lumbar_twist': ((-16.333, 16.333), 45.0, 3.0, 0.01, {'pos': '0.012 0 0.01'}),
    'cervical_extend': ((-17.5, 61.25), 4.0, 3.0, 0.01, {}),
    'cervical_bend': ((-35, 35), 4.0, 3.0, 0.01, {}),
    'cervical_twist': ((-23.333, 23.333), 4.0, 3.0, 0.01, {}),
    'atlas': ((-15, 30), 2.0, 0.2, None, {'axis': '0 -1 0'}),
    'caudal_extend': ((-15, 15), None, None, None, {'springdamper': '0.001 50'}),
    'caudal_bend': ((-15, 15), None, None, None, {'springdamper': '0.001 50'}),
    'mandible': ((-15, 20), 2.0, 0.2, None, {'springref': '-11'}),
    'hip_supinate': ((-20, 20), 5.0, 0.5, 0.01, {}),
    'hip_abduct': ((-30, 90), 5.0, 0.5, 0.01, {}),
    'hip_extend': ((-130, 60), 5.0, 0.5, 0.01, {}),
    'knee': ((-120, 10), None, 0.5, None, {}),
    'ankle': ((-100, 20), None, 0.3, None, {}),
    'toe': ((-15, 70), 2.0, 0.02, None, {}),
    'scapula_supinate': ((-15, 35), 10.0, 1.5, None, {}),
    'scapula_abduct': ((-15, 20), 10.0, 1.5, None, {}),
    'scapula_extend': ((-30, 30), 10.0, 1.5, None, {}),
    'shoulder_supinate': ((-30, 15), 5.0, 1.0, None, {}),
    'shoulder_extend': ((-40, 60), 5.0, 1.0, None, {}),
    'elbow': ((-100, 30), None, 0.3, None, {}),
    'wrist': ((-110, 10), None, 0.2, None, {}),
    'finger': ((-15, 100), 1.0, 0.02, None, {}),
}
# actuator gain per class (force = gain x activation, activation a first-order filter of the
# control with time constant 0.05 s)
GAINS = {
    'lumbar_extend': 60, 'lumbar_bend': 40, 'lumbar_twist': 40, 'cervical_extend': 20, 'cervical_bend': 20,
    'cervical_twist': 14, 'caudal_extend': 0.5, 'caudal_bend': 0.5, 'hip_supinate': 10, 'hip_abduct': 10,
    'hip_extend': 40, 'knee': 30, 'ankle': 20, 'toe': 2, 'atlas': 10, 'mandible': 3, 'scapula_supinate': 30,
    'scapula_abduct': 30, 'scapula_extend': 30, 'shoulder_supinate': 30, 'shoulder_extend': 30, 'elbow': 20,
    'wrist': 10, 'finger': 2,
}
# the fixed tendons the spine's actuators pull: (name, [(joint, coefficient)])
TENDONS = [
    ('lumbar_extend', [('L_1_extend', 1.0887906), ('L_3_extend', 1.0287221), ('L_5_extend', 0.9678085), ('L_7_extend', 0.9146788)]),
    ('lumbar_bend', [('L_1_bend', 1.1360135), ('L_3_bend', 1.0490053), ('L_5_bend', 0.9555458), ('L_7_bend', 0.8594354)]),
    ('lumbar_twist', [('L_2_twist', 1.0007968), ('L_4_twist', 0.9996855), ('L_6_twist', 0.9995177)]),
    ('cervical_extend', [('C_7_extend', 1.1651730), ('C_5_extend', 1.0638263), ('C_3_extend', 0.9279175), ('C_1_extend', 0.8430833)]),
    ('cervical_bend', [('C_7_bend', 1.1032095), ('C_5_bend', 1.1151583), ('C_3_bend', 0.9257028), ('C_1_bend', 0.8559295)]),
    ('cervical_twist', [('C_6_twist', 1.0490140), ('C_4_twist', 0.9679314), ('C_2_twist', 0.9830546)]),
    ('caudal_extend', [(f'Ca_{i}_extend', c) for i, c in zip(range(1, 22, 2), (
        1.4175698, 1.3533292, 1.2905603, 1.1963358, 1.0882282, 0.9549416, 0.8390680, 0.7575628, 0.7151671, 0.6955591, 0.6916781))]),
    ('caudal_bend', [(f'Ca_{i}_bend', c) for i, c in zip(range(2, 21, 2), (
        1.3236847, 1.3130782, 1.2679178, 1.1706813, 1.0404778, 0.9053321, 0.8040065, 0.7475698, 0.7188107, 0.7084412))]),
]
ACTUATED_JOINTS = []
for s in ('L', 'R'):
    ACTUATED_JOINTS += [f'hip_{s}_supinate', f'hip_{s}_abduct', f'hip_{s}_extend', f'knee_{s}', f'ankle_{s}', f'toe_{s}']
ACTUATED_JOINTS += ['atlas', 'mandible']
for s in ('L', 'R'):
    ACTUATED_JOINTS += [f'scapula_{s}_supinate', f'scapula_{s}_abduct', f'scapula_{s}_extend', f'shoulder_{s}_supinate',
                        f'shoulder_{s}_extend', f'elbow_{s}', f'wrist_{s}', f'finger_{s}']
# pairs of bodies that may not collide (the original's list)
EXCLUDES = [
    ('upper_arm_L', 'torso'), ('upper_arm_R', 'torso'), ('pelvis', 'Ca_2'), ('pelvis', 'Ca_3'), ('Ca_1', 'Ca_3'),
    ('Ca_2', 'Ca_4'), ('Ca_3', 'Ca_5'), ('Ca_4', 'Ca_6'), ('C_7', 'scapula_L'), ('C_7', 'scapula_R'), ('C_6', 'scapula_L'),
    ('C_6', 'scapula_R'), ('C_5', 'scapula_L'), ('C_5', 'scapula_R'), ('C_1', 'jaw'), ('torso', 'lower_arm_L'),
    ('torso', 'lower_arm_R'), ('C_4', 'scapula_R'), ('C_4', 'scapula_L'), ('C_5', 'upper_arm_R'), ('C_5', 'upper_arm_L'),
    ('C_6', 'upper_arm_R'), ('C_6', 'upper_arm_L'), ('C_7', 'upper_arm_R'), ('C_7', 'upper_arm_L'),
    ('upper_leg_L', 'upper_leg_R'), ('lower_leg_L', 'pelvis'), ('upper_leg_L', 'foot_L'), ('lower_leg_R', 'pelvis'),
    ('upper_leg_R', 'foot_R'),
]


def v(x):
    return ' '.join(f'{c:.6g}' for c in x)


def scaled(x, f):
    return tuple(c * f for c in x)


CHILD_POS = {}  # body -> [(child, its position, its hinges)]
for body, par, pos, hinges in TREE:
    CHILD_POS.setdefault(par, []).append((body, pos, hinges))


def first_child(body, prefix):
    for b, p, _ in CHILD_POS.get(body, []):
        if b.startswith(prefix):
            return p
    return None


def geoms(body):
    """This model's own contact geometry for a body: (class, type, attributes)."""
    side = 1 if body.endswith('_L') else -1
    if body == 'torso':
        return [('nonself', 'ellipsoid', {'size': '0.2 0.09 0.11'})]
    if body.startswith('L_'):
        return [('nonself', 'sphere', {'size': '0.05', 'pos': '0 0 -0.02'})]
    if body == 'pelvis':
        return [('nonself', 'sphere', {'size': '0.05', 'pos': '0 0.03 -0.01'}),
                ('nonself', 'sphere', {'size': '0.05', 'pos': '0 -0.03 -0.01'})]
    if body.startswith('upper_leg_'):
        return [('limb', 'capsule', {'size': '0.035', 'fromto': '0 0 -0.01 ' + v(scaled(first_child(body, 'lower_leg'), 0.85))})]
    if body.startswith('lower_leg_'):
        return [('limb', 'capsule', {'size': '0.02', 'fromto': '0 0 0 ' + v(scaled(first_child(body, 'foot'), 0.9))})]
    if body.startswith('foot_anchor_') or body.startswith('hand_anchor_'):
        return []
    if body.startswith('foot_'):
        return [('limb', 'capsule', {'size': '0.015', 'fromto': '0 0 0 ' + v(scaled(first_child(body, 'foot_anchor'), 0.8))})]
    if body.startswith('toe_'):
        return [('foot', 'capsule', {'size': '0.012', 'fromto': '0.005 0 -0.022 0.045 0 -0.026'})]
    if body.startswith('Ca_'):
        nxt = first_child(body, 'Ca_')
        if nxt is None:
            return [('nonself', 'sphere', {'size': '0.005'})]
        return [('nonself', 'capsule', {'size': '0.006', 'fromto': '0 0 0 ' + v(nxt)})]
    if body.startswith('C_'):
        radius = {'C_7': 0.06, 'C_6': 0.055, 'C_5': 0.05, 'C_4': 0.045, 'C_3': 0.04, 'C_2': 0.035, 'C_1': 0.03}[body]
        return [('nonself', 'sphere', {'size': f'{radius}'})]
    if body == 'skull':
        return [('limb', 'ellipsoid', {'size': '0.06 0.055 0.04', 'pos': '-0.02 0 0.01'}),
                ('limb', 'capsule', {'size': '0.015', 'fromto': '0 0 -0.02 0.09 0 -0.03'})]
    if body == 'jaw':
        return [('limb', 'capsule', {'size': '0.012', 'fromto': '-0.03 0 0 0.055 0 -0.03'})]
    if body.startswith('scapula_'):
        return [('limb', 'box', {'size': '0.017 0.035 0.057', 'pos': f'0.039 {side * 0.031:.6g} -0.065'})]
    if body.startswith('upper_arm_'):
        return [('limb', 'capsule', {'size': '0.02', 'fromto': '0 0 0 ' + v(scaled(first_child(body, 'lower_arm'), 0.9))})]
    if body.startswith('lower_arm_'):
        return [('limb', 'capsule', {'size': '0.017', 'fromto': '0 0 0 ' + v(scaled(first_child(body, 'hand_anchor'), 0.9))})]
    if body.startswith('hand_'):
        return [('limb', 'capsule', {'size': '0.014', 'fromto': '0 0 -0.005 0.015 0 -0.05'})]
    if body.startswith('finger_'):
        return [('foot', 'capsule', {'size': '0.01', 'fromto': '0 0 -0.012 0.042 0 -0.016'})]
    raise ValueError(body)


def sites(body):
    s = []
    if body == 'skull':
        s += [('head', {'type': 'box', 'size': '0.01 0.01 0.01'}), ('upper_bite', {'pos': '0.065 0 -0.07', 'size': '0.005'})]
    if body == 'jaw':
        s += [('lower_bite', {'pos': '0.063 0 0.005', 'size': '0.005'})]
    if body.startswith('toe_'):
        s += [('sole_' + body[-1], {'type': 'box', 'pos': '0.026 0 -0.033', 'size': '0.025 0.03 0.008'})]
    if body.startswith('finger_'):
        s += [('palm_' + body[-1], {'type': 'box', 'pos': '0.02 0 -0.024', 'size': '0.028 0.03 0.007'})]
    if body.startswith('foot_anchor_') or body.startswith('hand_anchor_'):
        s += [(body, {'size': '0.005'})]
    if body == 'Ca_21':
        s += [('tail_tip', {'size': '0.005'})]
    return s


def attrs(d):
    return ''.join(f' {k}="{val}"' for k, val in d.items())


def emit_body(out, body, pos, hinges, depth):
    pad = '  ' * depth
    out.append(f'{pad}<body name="{body}" pos="{v(pos)}">')
    mass, ipos, iquat, inertia = INERTIA[body]
    out.append(f'{pad}  <inertial pos="{v(ipos)}" quat="{v(iquat)}" mass="{mass:.6g}" diaginertia="{v(inertia)}"/>')
    if body == 'torso':
        out.append(f'{pad}  <freejoint name="root"/>')
    for name, cls, axis, jpos in hinges:
        a = {'name': name, 'class': cls}
        if axis is not None:
            a['axis'] = v(axis)
        if jpos is not None:
            a['pos'] = v(jpos)
        out.append(f'{pad}  <joint{attrs(a)}/>')
    for cls, typ, a in geoms(body):
        out.append(f'{pad}  <geom class="{cls}" type="{typ}"{attrs(a)}/>')
    for name, a in sites(body):
        out.append(f'{pad}  <site name="{name}" class="sensor"{attrs(a)}/>')
    for child, cpos, chinges in CHILD_POS.get(body, []):
        emit_body(out, child, cpos, chinges, depth + 1)
    out.append(f'{pad}</body>')


def main():
    out = ['<!-- crossq\'s dog, written by tools/make_dog_xml.py (do not edit by hand): the structure, names and',
           '     numbers of the dog of DeepMind Control (dm_control suite/dog.xml), with primitive contact shapes',
           '     instead of bone meshes and each body\'s inertia given explicitly. docs/tasks.md says how it differs. -->',
           '<mujoco model="dog">',
           '  <compiler angle="degree"/>',
           '  <option timestep="0.005" noslip_iterations="4"/>',
           '  <size njmax="900" nconmax="300"/>',
           '  <default>',
           '    <joint limited="true" solreflimit="0.01 1" solimplimit="0.9 0.99 0.01" stiffness="0.1" armature="0.0001" damping="0.01"/>',
           '    <geom friction="0.9" solref="0.01 1" solimp="0.95 0.99 0.001"/>',
           '    <general ctrllimited="true" ctrlrange="-1 1" dyntype="filter" dynprm="0.05" gainprm="0.02"/>',
           '    <site group="4" rgba="0.8 0.2 0.2 0.5"/>',
           '    <default class="sensor"><site group="4"/></default>',
           '    <default class="limb"><geom contype="1" conaffinity="1" condim="1" rgba="0.55 0.45 0.35 1"/></default>',
           '    <default class="foot"><geom contype="1" conaffinity="1" condim="1" solimp="0.9 0.95 0.001" rgba="0.3 0.25 0.2 1"/></default>',
           '    <default class="nonself"><geom contype="1" conaffinity="0" condim="1" rgba="0.55 0.45 0.35 1"/></default>']
    for cls, (rng, stiff, damp, arm, extra) in JOINT_CLASSES.items():
        a = {'range': f'{rng[0]:g} {rng[1]:g}'}
        if stiff is not None:
            a['stiffness'] = f'{stiff:g}'
        if damp is not None:
            a['damping'] = f'{damp:g}'
        if arm is not None:
            a['armature'] = f'{arm:g}'
        a.update(extra)
        out.append(f'    <default class="{cls}"><joint{attrs(a)}/><general gainprm="{GAINS[cls]:g}"/></default>')
    out += ['  </default>',
            '  <worldbody>',
            '    <light name="light" pos="0 0 3" dir="0 0 -1" directional="true"/>',
            '    <geom name="floor" type="plane" size="50 50 0.1" rgba="0.4 0.45 0.5 1"/>']
    emit_body(out, 'torso', TREE[0][2], [], 2)
    out.append('  </worldbody>')
    out.append('  <contact>')
    for a, b in EXCLUDES:
        out.append(f'    <exclude name="{a}:{b}" body1="{a}" body2="{b}"/>')
    out.append('  </contact>')
    out.append('  <tendon>')
    for name, joints in TENDONS:
        out.append(f'    <fixed name="{name}" class="{name}">')
        for j, c in joints:
            out.append(f'      <joint joint="{j}" coef="{c:.7g}"/>')
        out.append('    </fixed>')
    out.append('  </tendon>')
    out.append('  <actuator>')
    for name, _ in TENDONS:
        out.append(f'    <general name="{name}" class="{name}" tendon="{name}"/>')
    cls_of = {h[0]: h[1] for t in TREE for h in t[3]}
    for j in ACTUATED_JOINTS:
        out.append(f'    <general name="{j}" class="{cls_of[j]}" joint="{j}"/>')
    out.append('  </actuator>')
    out += ['  <sensor>',
            '    <accelerometer name="accelerometer" site="head"/>',
            '    <velocimeter name="velocimeter" site="head"/>',
            '    <gyro name="gyro" site="head"/>',
            '    <subtreelinvel name="torso_linvel" body="torso"/>',
            '    <subtreeangmom name="torso_angmom" body="torso"/>',
            '    <touch name="palm_L" site="palm_L"/>',
            '    <touch name="palm_R" site="palm_R"/>',
            '    <touch name="sole_L" site="sole_L"/>',
            '    <touch name="sole_R" site="sole_R"/>',
            '    <force name="foot_L" site="foot_anchor_L"/>',
            '    <force name="foot_R" site="foot_anchor_R"/>',
            '    <force name="hand_L" site="hand_anchor_L"/>',
            '    <force name="hand_R" site="hand_anchor_R"/>',
            '  </sensor>',
            '</mujoco>']
    print('\n'.join(out))


if __name__ == '__main__':
    main()
