// Three-qubit GHZ state (|000> + |111>)/sqrt(2), with a user-defined gate.
// qfl simulate examples/qasm/ghz.qasm --shots 1000 --seed 7
OPENQASM 2.0;
include "qelib1.inc";
gate entangle a, b, c {
  h a;
  cx a, b;
  cx b, c;
}
qreg q[3];
creg c[3];
entangle q[0], q[1], q[2];
barrier q;
measure q -> c;
