// Bell state (|00> + |11>)/sqrt(2).
// qfl simulate examples/qasm/bell.qasm            -> probs [0.5, 0, 0, 0.5]
// qfl simulate examples/qasm/bell.qasm --expval "Z0 Z1,X0 X1"
OPENQASM 2.0;
include "qelib1.inc";
qreg q[2];
creg c[2];
h q[0];
cx q[0], q[1];
measure q -> c;
