;; Statevector kernels in WebAssembly SIMD (f64x2), planar layout: the real
;; parts of a batch of states in one array, the imaginary parts in another, so
;; one v128 holds amplitudes i and i+1 of one part. Each lane computes exactly
;; the expression the JS kernel computes for that index, in the same order,
;; with separate multiplies and adds (no relaxed SIMD, no fused multiply-add),
;; so results are bit-identical to src/quantum/kernels.ts and fusion.ts.
;;
;; Every pointer and length is in bytes. Callers guarantee bit >= 2 (a pair's
;; amplitudes i, i+1 fall in the same half; the *B1 kernels take bit = 1) and, where a control mask applies,
;; that it leaves bit 0 clear (lanes i and i+1 agree on every control).
;; Loops compare unsigned, so offsets up to 4 GiB are fine.
(module
  (import "env" "memory" (memory 1))

  ;; applyMatrix1: a 2x2 complex matrix (8 f64: m00r m00i m01r m01i m10r m10i
  ;; m11r m11i) on one bit, per sample (`per` = 1: 64 bytes per sample) or the
  ;; same for all.
  (func (export "mat1")
    (param $re i32) (param $im i32) (param $bytes i32) (param $dimB i32) (param $bitB i32)
    (param $mats i32) (param $per i32)
    (local $at i32) (local $stop i32) (local $base i32) (local $end i32) (local $p i32) (local $q i32)
    (local $m00r v128) (local $m00i v128) (local $m01r v128) (local $m01i v128)
    (local $m10r v128) (local $m10i v128) (local $m11r v128) (local $m11i v128)
    (local $ar v128) (local $ai v128) (local $br v128) (local $bi v128)
    (block $done
      (loop $sample
        (br_if $done (i32.ge_u (local.get $at) (local.get $bytes)))
        (local.set $m00r (v128.load64_splat offset=0 (local.get $mats)))
        (local.set $m00i (v128.load64_splat offset=8 (local.get $mats)))
        (local.set $m01r (v128.load64_splat offset=16 (local.get $mats)))
        (local.set $m01i (v128.load64_splat offset=24 (local.get $mats)))
        (local.set $m10r (v128.load64_splat offset=32 (local.get $mats)))
        (local.set $m10i (v128.load64_splat offset=40 (local.get $mats)))
        (local.set $m11r (v128.load64_splat offset=48 (local.get $mats)))
        (local.set $m11i (v128.load64_splat offset=56 (local.get $mats)))
        (local.set $stop (i32.add (local.get $at) (local.get $dimB)))
        (local.set $base (local.get $at))
        (loop $blocks
          (local.set $end (i32.add (local.get $base) (local.get $bitB)))
          (local.set $p (local.get $base))
          (loop $pairs
            (local.set $q (i32.add (local.get $p) (local.get $bitB)))
            (local.set $ar (v128.load (i32.add (local.get $re) (local.get $p))))
            (local.set $ai (v128.load (i32.add (local.get $im) (local.get $p))))
            (local.set $br (v128.load (i32.add (local.get $re) (local.get $q))))
            (local.set $bi (v128.load (i32.add (local.get $im) (local.get $q))))
            ;; re[i] = m00r ar - m00i ai + m01r br - m01i bi
            (v128.store (i32.add (local.get $re) (local.get $p))
              (f64x2.sub (f64x2.add (f64x2.sub (f64x2.mul (local.get $m00r) (local.get $ar)) (f64x2.mul (local.get $m00i) (local.get $ai)))
                                    (f64x2.mul (local.get $m01r) (local.get $br)))
                         (f64x2.mul (local.get $m01i) (local.get $bi))))
            ;; im[i] = m00r ai + m00i ar + m01r bi + m01i br
            (v128.store (i32.add (local.get $im) (local.get $p))
              (f64x2.add (f64x2.add (f64x2.add (f64x2.mul (local.get $m00r) (local.get $ai)) (f64x2.mul (local.get $m00i) (local.get $ar)))
                                    (f64x2.mul (local.get $m01r) (local.get $bi)))
                         (f64x2.mul (local.get $m01i) (local.get $br))))
            ;; re[j] = m10r ar - m10i ai + m11r br - m11i bi
            (v128.store (i32.add (local.get $re) (local.get $q))
              (f64x2.sub (f64x2.add (f64x2.sub (f64x2.mul (local.get $m10r) (local.get $ar)) (f64x2.mul (local.get $m10i) (local.get $ai)))
                                    (f64x2.mul (local.get $m11r) (local.get $br)))
                         (f64x2.mul (local.get $m11i) (local.get $bi))))
            ;; im[j] = m10r ai + m10i ar + m11r bi + m11i br
            (v128.store (i32.add (local.get $im) (local.get $q))
              (f64x2.add (f64x2.add (f64x2.add (f64x2.mul (local.get $m10r) (local.get $ai)) (f64x2.mul (local.get $m10i) (local.get $ar)))
                                    (f64x2.mul (local.get $m11r) (local.get $bi)))
                         (f64x2.mul (local.get $m11i) (local.get $br))))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (br_if $pairs (i32.lt_u (local.get $p) (local.get $end))))
          (local.set $base (i32.add (local.get $base) (i32.shl (local.get $bitB) (i32.const 1))))
          (br_if $blocks (i32.lt_u (local.get $base) (local.get $stop))))
        (if (local.get $per) (then (local.set $mats (i32.add (local.get $mats) (i32.const 64)))))
        (local.set $at (local.get $stop))
        (br $sample))))

  ;; One adjoint step through a fused single-qubit run, in one pass over both
  ;; states: psi <- M psi (M = the run's inverse), the cross matrix
  ;; C_ab = sum_rest psi[a, rest] conj(lam[b, rest]) of the new psi and the
  ;; old lam (8 f64 per sample into `out`, lane 0 plus lane 1, as crossMatrix
  ;; sums even and odd indices), then lam <- M lam when `doLam`.
  (func (export "adjointBlock")
    (param $pr i32) (param $pi i32) (param $lr i32) (param $li i32)
    (param $bytes i32) (param $dimB i32) (param $bitB i32)
    (param $mats i32) (param $per i32) (param $out i32) (param $doLam i32)
    (local $at i32) (local $stop i32) (local $base i32) (local $end i32) (local $p i32) (local $q i32)
    (local $m00r v128) (local $m00i v128) (local $m01r v128) (local $m01i v128)
    (local $m10r v128) (local $m10i v128) (local $m11r v128) (local $m11i v128)
    (local $ar v128) (local $ai v128) (local $br v128) (local $bi v128)
    (local $p0r v128) (local $p0i v128) (local $p1r v128) (local $p1i v128)
    (local $c00r v128) (local $c00i v128) (local $c01r v128) (local $c01i v128)
    (local $c10r v128) (local $c10i v128) (local $c11r v128) (local $c11i v128)
    (block $done
      (loop $sample
        (br_if $done (i32.ge_u (local.get $at) (local.get $bytes)))
        (local.set $m00r (v128.load64_splat offset=0 (local.get $mats)))
        (local.set $m00i (v128.load64_splat offset=8 (local.get $mats)))
        (local.set $m01r (v128.load64_splat offset=16 (local.get $mats)))
        (local.set $m01i (v128.load64_splat offset=24 (local.get $mats)))
        (local.set $m10r (v128.load64_splat offset=32 (local.get $mats)))
        (local.set $m10i (v128.load64_splat offset=40 (local.get $mats)))
        (local.set $m11r (v128.load64_splat offset=48 (local.get $mats)))
        (local.set $m11i (v128.load64_splat offset=56 (local.get $mats)))
        (local.set $c00r (v128.const f64x2 0 0))
        (local.set $c00i (v128.const f64x2 0 0))
        (local.set $c01r (v128.const f64x2 0 0))
        (local.set $c01i (v128.const f64x2 0 0))
        (local.set $c10r (v128.const f64x2 0 0))
        (local.set $c10i (v128.const f64x2 0 0))
        (local.set $c11r (v128.const f64x2 0 0))
        (local.set $c11i (v128.const f64x2 0 0))
        (local.set $stop (i32.add (local.get $at) (local.get $dimB)))
        (local.set $base (local.get $at))
        (loop $blocks
          (local.set $end (i32.add (local.get $base) (local.get $bitB)))
          (local.set $p (local.get $base))
          (loop $pairs
            (local.set $q (i32.add (local.get $p) (local.get $bitB)))
            ;; psi <- M psi, as mat1
            (local.set $ar (v128.load (i32.add (local.get $pr) (local.get $p))))
            (local.set $ai (v128.load (i32.add (local.get $pi) (local.get $p))))
            (local.set $br (v128.load (i32.add (local.get $pr) (local.get $q))))
            (local.set $bi (v128.load (i32.add (local.get $pi) (local.get $q))))
            (local.set $p0r
              (f64x2.sub (f64x2.add (f64x2.sub (f64x2.mul (local.get $m00r) (local.get $ar)) (f64x2.mul (local.get $m00i) (local.get $ai)))
                                    (f64x2.mul (local.get $m01r) (local.get $br)))
                         (f64x2.mul (local.get $m01i) (local.get $bi))))
            (local.set $p0i
              (f64x2.add (f64x2.add (f64x2.add (f64x2.mul (local.get $m00r) (local.get $ai)) (f64x2.mul (local.get $m00i) (local.get $ar)))
                                    (f64x2.mul (local.get $m01r) (local.get $bi)))
                         (f64x2.mul (local.get $m01i) (local.get $br))))
            (local.set $p1r
              (f64x2.sub (f64x2.add (f64x2.sub (f64x2.mul (local.get $m10r) (local.get $ar)) (f64x2.mul (local.get $m10i) (local.get $ai)))
                                    (f64x2.mul (local.get $m11r) (local.get $br)))
                         (f64x2.mul (local.get $m11i) (local.get $bi))))
            (local.set $p1i
              (f64x2.add (f64x2.add (f64x2.add (f64x2.mul (local.get $m10r) (local.get $ai)) (f64x2.mul (local.get $m10i) (local.get $ar)))
                                    (f64x2.mul (local.get $m11r) (local.get $bi)))
                         (f64x2.mul (local.get $m11i) (local.get $br))))
            (v128.store (i32.add (local.get $pr) (local.get $p)) (local.get $p0r))
            (v128.store (i32.add (local.get $pi) (local.get $p)) (local.get $p0i))
            (v128.store (i32.add (local.get $pr) (local.get $q)) (local.get $p1r))
            (v128.store (i32.add (local.get $pi) (local.get $q)) (local.get $p1i))
            ;; the old lam: ar ai = lam0, br bi = lam1
            (local.set $ar (v128.load (i32.add (local.get $lr) (local.get $p))))
            (local.set $ai (v128.load (i32.add (local.get $li) (local.get $p))))
            (local.set $br (v128.load (i32.add (local.get $lr) (local.get $q))))
            (local.set $bi (v128.load (i32.add (local.get $li) (local.get $q))))
            ;; c_ab += p_a conj(l_b): re = pr lr + pi li, im = pi lr - pr li
            (local.set $c00r (f64x2.add (local.get $c00r) (f64x2.add (f64x2.mul (local.get $p0r) (local.get $ar)) (f64x2.mul (local.get $p0i) (local.get $ai)))))
            (local.set $c00i (f64x2.add (local.get $c00i) (f64x2.sub (f64x2.mul (local.get $p0i) (local.get $ar)) (f64x2.mul (local.get $p0r) (local.get $ai)))))
            (local.set $c01r (f64x2.add (local.get $c01r) (f64x2.add (f64x2.mul (local.get $p0r) (local.get $br)) (f64x2.mul (local.get $p0i) (local.get $bi)))))
            (local.set $c01i (f64x2.add (local.get $c01i) (f64x2.sub (f64x2.mul (local.get $p0i) (local.get $br)) (f64x2.mul (local.get $p0r) (local.get $bi)))))
            (local.set $c10r (f64x2.add (local.get $c10r) (f64x2.add (f64x2.mul (local.get $p1r) (local.get $ar)) (f64x2.mul (local.get $p1i) (local.get $ai)))))
            (local.set $c10i (f64x2.add (local.get $c10i) (f64x2.sub (f64x2.mul (local.get $p1i) (local.get $ar)) (f64x2.mul (local.get $p1r) (local.get $ai)))))
            (local.set $c11r (f64x2.add (local.get $c11r) (f64x2.add (f64x2.mul (local.get $p1r) (local.get $br)) (f64x2.mul (local.get $p1i) (local.get $bi)))))
            (local.set $c11i (f64x2.add (local.get $c11i) (f64x2.sub (f64x2.mul (local.get $p1i) (local.get $br)) (f64x2.mul (local.get $p1r) (local.get $bi)))))
            (if (local.get $doLam)
              (then
                (v128.store (i32.add (local.get $lr) (local.get $p))
                  (f64x2.sub (f64x2.add (f64x2.sub (f64x2.mul (local.get $m00r) (local.get $ar)) (f64x2.mul (local.get $m00i) (local.get $ai)))
                                        (f64x2.mul (local.get $m01r) (local.get $br)))
                             (f64x2.mul (local.get $m01i) (local.get $bi))))
                (v128.store (i32.add (local.get $li) (local.get $p))
                  (f64x2.add (f64x2.add (f64x2.add (f64x2.mul (local.get $m00r) (local.get $ai)) (f64x2.mul (local.get $m00i) (local.get $ar)))
                                        (f64x2.mul (local.get $m01r) (local.get $bi)))
                             (f64x2.mul (local.get $m01i) (local.get $br))))
                (v128.store (i32.add (local.get $lr) (local.get $q))
                  (f64x2.sub (f64x2.add (f64x2.sub (f64x2.mul (local.get $m10r) (local.get $ar)) (f64x2.mul (local.get $m10i) (local.get $ai)))
                                        (f64x2.mul (local.get $m11r) (local.get $br)))
                             (f64x2.mul (local.get $m11i) (local.get $bi))))
                (v128.store (i32.add (local.get $li) (local.get $q))
                  (f64x2.add (f64x2.add (f64x2.add (f64x2.mul (local.get $m10r) (local.get $ai)) (f64x2.mul (local.get $m10i) (local.get $ar)))
                                        (f64x2.mul (local.get $m11r) (local.get $bi)))
                             (f64x2.mul (local.get $m11i) (local.get $br))))))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (br_if $pairs (i32.lt_u (local.get $p) (local.get $end))))
          (local.set $base (i32.add (local.get $base) (i32.shl (local.get $bitB) (i32.const 1))))
          (br_if $blocks (i32.lt_u (local.get $base) (local.get $stop))))
        (f64.store offset=0 (local.get $out) (call $sum (local.get $c00r)))
        (f64.store offset=8 (local.get $out) (call $sum (local.get $c00i)))
        (f64.store offset=16 (local.get $out) (call $sum (local.get $c01r)))
        (f64.store offset=24 (local.get $out) (call $sum (local.get $c01i)))
        (f64.store offset=32 (local.get $out) (call $sum (local.get $c10r)))
        (f64.store offset=40 (local.get $out) (call $sum (local.get $c10i)))
        (f64.store offset=48 (local.get $out) (call $sum (local.get $c11r)))
        (f64.store offset=56 (local.get $out) (call $sum (local.get $c11i)))
        (local.set $out (i32.add (local.get $out) (i32.const 64)))
        (if (local.get $per) (then (local.set $mats (i32.add (local.get $mats) (i32.const 64)))))
        (local.set $at (local.get $stop))
        (br $sample))))

  (func $sum (param $v v128) (result f64)
    (f64.add (f64x2.extract_lane 0 (local.get $v)) (f64x2.extract_lane 1 (local.get $v))))

  ;; Pauli rotations RY / RX and the diagonal RZ / Phase with (c, s) per
  ;; sample (`per` = 1: 16 bytes per sample at `cs`) or shared; `ctrl` is the
  ;; mask of control bits (index bits, bit 0 clear). `kind`: 0 RY, 1 RX,
  ;; 2 RZ, 3 Phase (the bit-clear half untouched).
  (func (export "rot")
    (param $re i32) (param $im i32) (param $bytes i32) (param $dimB i32) (param $bitB i32)
    (param $ctrl i32) (param $cs i32) (param $per i32) (param $kind i32)
    (local $at i32) (local $stop i32) (local $base i32) (local $end i32) (local $p i32) (local $q i32) (local $hi i32)
    (local $c v128) (local $s v128)
    (local $ar v128) (local $ai v128) (local $br v128) (local $bi v128)
    ;; Control bits above the pair stride are constant over a block: test them once per block.
    (local.set $hi (i32.and (local.get $ctrl) (i32.sub (i32.const 0) (i32.shr_u (local.get $bitB) (i32.const 2)))))
    (block $done
      (loop $sample
        (br_if $done (i32.ge_u (local.get $at) (local.get $bytes)))
        (local.set $c (v128.load64_splat offset=0 (local.get $cs)))
        (local.set $s (v128.load64_splat offset=8 (local.get $cs)))
        (local.set $stop (i32.add (local.get $at) (local.get $dimB)))
        (local.set $base (local.get $at))
        (loop $blocks
          (local.set $end (i32.add (local.get $base) (local.get $bitB)))
          (local.set $p (local.get $base))
          (if (i32.eq (i32.and (i32.shr_u (local.get $base) (i32.const 3)) (local.get $hi)) (local.get $hi))
          (then (loop $pairs
            (if (i32.eq (i32.and (i32.shr_u (local.get $p) (i32.const 3)) (local.get $ctrl)) (local.get $ctrl))
              (then
                (local.set $q (i32.add (local.get $p) (local.get $bitB)))
                (local.set $ar (v128.load (i32.add (local.get $re) (local.get $p))))
                (local.set $ai (v128.load (i32.add (local.get $im) (local.get $p))))
                (local.set $br (v128.load (i32.add (local.get $re) (local.get $q))))
                (local.set $bi (v128.load (i32.add (local.get $im) (local.get $q))))
                (block $k
                  (br_if $k (i32.ne (local.get $kind) (i32.const 0)))
                  ;; RY: [[c, -s], [s, c]]
                  (v128.store (i32.add (local.get $re) (local.get $p)) (f64x2.sub (f64x2.mul (local.get $c) (local.get $ar)) (f64x2.mul (local.get $s) (local.get $br))))
                  (v128.store (i32.add (local.get $im) (local.get $p)) (f64x2.sub (f64x2.mul (local.get $c) (local.get $ai)) (f64x2.mul (local.get $s) (local.get $bi))))
                  (v128.store (i32.add (local.get $re) (local.get $q)) (f64x2.add (f64x2.mul (local.get $s) (local.get $ar)) (f64x2.mul (local.get $c) (local.get $br))))
                  (v128.store (i32.add (local.get $im) (local.get $q)) (f64x2.add (f64x2.mul (local.get $s) (local.get $ai)) (f64x2.mul (local.get $c) (local.get $bi)))))
                (block $k
                  (br_if $k (i32.ne (local.get $kind) (i32.const 1)))
                  ;; RX: [[c, -is], [-is, c]]
                  (v128.store (i32.add (local.get $re) (local.get $p)) (f64x2.add (f64x2.mul (local.get $c) (local.get $ar)) (f64x2.mul (local.get $s) (local.get $bi))))
                  (v128.store (i32.add (local.get $im) (local.get $p)) (f64x2.sub (f64x2.mul (local.get $c) (local.get $ai)) (f64x2.mul (local.get $s) (local.get $br))))
                  (v128.store (i32.add (local.get $re) (local.get $q)) (f64x2.add (f64x2.mul (local.get $c) (local.get $br)) (f64x2.mul (local.get $s) (local.get $ai))))
                  (v128.store (i32.add (local.get $im) (local.get $q)) (f64x2.sub (f64x2.mul (local.get $c) (local.get $bi)) (f64x2.mul (local.get $s) (local.get $ar)))))
                (block $k
                  (br_if $k (i32.ne (local.get $kind) (i32.const 2)))
                  ;; RZ: the bit-clear half times (c - is)
                  (v128.store (i32.add (local.get $re) (local.get $p)) (f64x2.add (f64x2.mul (local.get $c) (local.get $ar)) (f64x2.mul (local.get $s) (local.get $ai))))
                  (v128.store (i32.add (local.get $im) (local.get $p)) (f64x2.sub (f64x2.mul (local.get $c) (local.get $ai)) (f64x2.mul (local.get $s) (local.get $ar)))))
                (if (i32.ge_u (local.get $kind) (i32.const 2))
                  (then
                    ;; RZ and Phase: the bit-set half times (c + is)
                    (v128.store (i32.add (local.get $re) (local.get $q)) (f64x2.sub (f64x2.mul (local.get $c) (local.get $br)) (f64x2.mul (local.get $s) (local.get $bi))))
                    (v128.store (i32.add (local.get $im) (local.get $q)) (f64x2.add (f64x2.mul (local.get $c) (local.get $bi)) (f64x2.mul (local.get $s) (local.get $br))))))))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (br_if $pairs (i32.lt_u (local.get $p) (local.get $end))))))
          (local.set $base (i32.add (local.get $base) (i32.shl (local.get $bitB) (i32.const 1))))
          (br_if $blocks (i32.lt_u (local.get $base) (local.get $stop))))
        (if (local.get $per) (then (local.set $cs (i32.add (local.get $cs) (i32.const 16)))))
        (local.set $at (local.get $stop))
        (br $sample))))

  ;; X on one bit under control mask `ctrl` (CNOT, Toffoli): swaps the halves.
  (func (export "xgate")
    (param $re i32) (param $im i32) (param $bytes i32) (param $bitB i32) (param $ctrl i32)
    (local $base i32) (local $end i32) (local $p i32) (local $q i32) (local $hi i32) (local $t v128)
    ;; Control bits above the pair stride are constant over a block: test them once per block.
    (local.set $hi (i32.and (local.get $ctrl) (i32.sub (i32.const 0) (i32.shr_u (local.get $bitB) (i32.const 2)))))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $base) (local.get $bytes)))
        (local.set $end (i32.add (local.get $base) (local.get $bitB)))
        (local.set $p (local.get $base))
        (if (i32.eq (i32.and (i32.shr_u (local.get $base) (i32.const 3)) (local.get $hi)) (local.get $hi))
          (then (loop $pairs
          (if (i32.eq (i32.and (i32.shr_u (local.get $p) (i32.const 3)) (local.get $ctrl)) (local.get $ctrl))
            (then
              (local.set $q (i32.add (local.get $p) (local.get $bitB)))
              (local.set $t (v128.load (i32.add (local.get $re) (local.get $p))))
              (v128.store (i32.add (local.get $re) (local.get $p)) (v128.load (i32.add (local.get $re) (local.get $q))))
              (v128.store (i32.add (local.get $re) (local.get $q)) (local.get $t))
              (local.set $t (v128.load (i32.add (local.get $im) (local.get $p))))
              (v128.store (i32.add (local.get $im) (local.get $p)) (v128.load (i32.add (local.get $im) (local.get $q))))
              (v128.store (i32.add (local.get $im) (local.get $q)) (local.get $t))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br_if $pairs (i32.lt_u (local.get $p) (local.get $end))))))
        (local.set $base (i32.add (local.get $base) (i32.shl (local.get $bitB) (i32.const 1))))
        (br $blocks))))

  ;; A fused permutation through a table of 2^n i32 indices, sample by sample:
  ;; scratch[j] = arr[at + table[j]], then arr[at ..] = scratch.
  (func (export "gather")
    (param $arr i32) (param $bytes i32) (param $dimB i32) (param $table i32) (param $scratch i32)
    (local $at i32) (local $j i32) (local $row i32)
    (block $done
      (loop $sample
        (br_if $done (i32.ge_u (local.get $at) (local.get $bytes)))
        (local.set $row (i32.add (local.get $arr) (local.get $at)))
        (local.set $j (i32.const 0))
        (loop $read
          (f64.store (i32.add (local.get $scratch) (local.get $j))
            (f64.load (i32.add (local.get $row)
              (i32.shl (i32.load (i32.add (local.get $table) (i32.shr_u (local.get $j) (i32.const 1)))) (i32.const 3)))))
          (local.set $j (i32.add (local.get $j) (i32.const 8)))
          (br_if $read (i32.lt_u (local.get $j) (local.get $dimB))))
        (local.set $j (i32.const 0))
        (loop $write
          (v128.store (i32.add (local.get $row) (local.get $j)) (v128.load (i32.add (local.get $scratch) (local.get $j))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br_if $write (i32.lt_u (local.get $j) (local.get $dimB))))
        (local.set $at (i32.add (local.get $at) (local.get $dimB)))
        (br $sample))))

  ;; Columns of the 2x2 matrix at $m: (re col0, im col0, re col1, im col1) as v128s.
  (func $columns (param $m i32) (result v128 v128 v128 v128)
    (f64x2.replace_lane 1 (v128.load64_splat offset=0 (local.get $m)) (f64.load offset=32 (local.get $m)))
    (f64x2.replace_lane 1 (v128.load64_splat offset=8 (local.get $m)) (f64.load offset=40 (local.get $m)))
    (f64x2.replace_lane 1 (v128.load64_splat offset=16 (local.get $m)) (f64.load offset=48 (local.get $m)))
    (f64x2.replace_lane 1 (v128.load64_splat offset=24 (local.get $m)) (f64.load offset=56 (local.get $m))))

  ;; mat1 for bit = 1 (the last wire): a pair is amplitudes 2k, 2k+1, one
  ;; v128. With the matrix by columns, col0 = (m00, m10), col1 = (m01, m11),
  ;; lane 0 computes new amplitude 2k and lane 1 amplitude 2k+1, each as
  ;; mat1's expression: col0r a_r - col0i a_i + col1r b_r - col1i b_i (a, b
  ;; splat). Written out at each use: V8 (Node 20) does not inline wasm calls.
  (func (export "mat1b1")
    (param $re i32) (param $im i32) (param $bytes i32) (param $dimB i32) (param $mats i32) (param $per i32)
    (local $at i32) (local $stop i32) (local $p i32)
    (local $c0r v128) (local $c0i v128) (local $c1r v128) (local $c1i v128) (local $nr v128) (local $ni v128)
    (local $vr v128) (local $vi v128) (local $ar v128) (local $ai v128) (local $br v128) (local $bi v128)
    (block $done
      (loop $sample
        (br_if $done (i32.ge_u (local.get $at) (local.get $bytes)))
        (call $columns (local.get $mats))
        (local.set $c1i) (local.set $c1r) (local.set $c0i) (local.set $c0r)
        (local.set $stop (i32.add (local.get $at) (local.get $dimB)))
        (local.set $p (local.get $at))
        (loop $pairs
          (local.set $vr (v128.load (i32.add (local.get $re) (local.get $p))))
          (local.set $vi (v128.load (i32.add (local.get $im) (local.get $p))))
          (local.set $ar (i8x16.shuffle 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 (local.get $vr) (local.get $vr)))
          (local.set $ai (i8x16.shuffle 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 (local.get $vi) (local.get $vi)))
          (local.set $br (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $vr) (local.get $vr)))
          (local.set $bi (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $vi) (local.get $vi)))
          (local.set $nr
            (f64x2.sub (f64x2.add (f64x2.sub (f64x2.mul (local.get $c0r) (local.get $ar)) (f64x2.mul (local.get $c0i) (local.get $ai)))
                                  (f64x2.mul (local.get $c1r) (local.get $br)))
                       (f64x2.mul (local.get $c1i) (local.get $bi))))
          (local.set $ni
            (f64x2.add (f64x2.add (f64x2.add (f64x2.mul (local.get $c0r) (local.get $ai)) (f64x2.mul (local.get $c0i) (local.get $ar)))
                                  (f64x2.mul (local.get $c1r) (local.get $bi)))
                       (f64x2.mul (local.get $c1i) (local.get $br))))
          (v128.store (i32.add (local.get $re) (local.get $p)) (local.get $nr))
          (v128.store (i32.add (local.get $im) (local.get $p)) (local.get $ni))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br_if $pairs (i32.lt_u (local.get $p) (local.get $stop))))
        (if (local.get $per) (then (local.set $mats (i32.add (local.get $mats) (i32.const 64)))))
        (local.set $at (local.get $stop))
        (br $sample))))

  ;; adjointBlock for bit = 1. One pair per v128, so the cross sums run in one
  ;; sequence per entry, as crossMatrix's single lane does: lane 0 of X00
  ;; accumulates c00, lane 1 c10 (p = (p0, p1) times conj of l0 splat), and
  ;; X01 holds (c01, c11) against l1.
  (func (export "adjointBlockB1")
    (param $pr i32) (param $pi i32) (param $lr i32) (param $li i32)
    (param $bytes i32) (param $dimB i32) (param $mats i32) (param $per i32) (param $out i32) (param $doLam i32)
    (local $at i32) (local $stop i32) (local $p i32)
    (local $c0r v128) (local $c0i v128) (local $c1r v128) (local $c1i v128)
    (local $nr v128) (local $ni v128) (local $vr v128) (local $vi v128)
    (local $l0r v128) (local $l0i v128) (local $l1r v128) (local $l1i v128)
    (local $x0r v128) (local $x0i v128) (local $x1r v128) (local $x1i v128)
    (local $ar v128) (local $ai v128) (local $br v128) (local $bi v128)
    (block $done
      (loop $sample
        (br_if $done (i32.ge_u (local.get $at) (local.get $bytes)))
        (call $columns (local.get $mats))
        (local.set $c1i) (local.set $c1r) (local.set $c0i) (local.set $c0r)
        (local.set $x0r (v128.const f64x2 0 0))
        (local.set $x0i (v128.const f64x2 0 0))
        (local.set $x1r (v128.const f64x2 0 0))
        (local.set $x1i (v128.const f64x2 0 0))
        (local.set $stop (i32.add (local.get $at) (local.get $dimB)))
        (local.set $p (local.get $at))
        (loop $pairs
          (local.set $vr (v128.load (i32.add (local.get $pr) (local.get $p))))
          (local.set $vi (v128.load (i32.add (local.get $pi) (local.get $p))))
          (local.set $ar (i8x16.shuffle 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 (local.get $vr) (local.get $vr)))
          (local.set $ai (i8x16.shuffle 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 (local.get $vi) (local.get $vi)))
          (local.set $br (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $vr) (local.get $vr)))
          (local.set $bi (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $vi) (local.get $vi)))
          (local.set $nr
            (f64x2.sub (f64x2.add (f64x2.sub (f64x2.mul (local.get $c0r) (local.get $ar)) (f64x2.mul (local.get $c0i) (local.get $ai)))
                                  (f64x2.mul (local.get $c1r) (local.get $br)))
                       (f64x2.mul (local.get $c1i) (local.get $bi))))
          (local.set $ni
            (f64x2.add (f64x2.add (f64x2.add (f64x2.mul (local.get $c0r) (local.get $ai)) (f64x2.mul (local.get $c0i) (local.get $ar)))
                                  (f64x2.mul (local.get $c1r) (local.get $bi)))
                       (f64x2.mul (local.get $c1i) (local.get $br))))
          (v128.store (i32.add (local.get $pr) (local.get $p)) (local.get $nr))
          (v128.store (i32.add (local.get $pi) (local.get $p)) (local.get $ni))
          (local.set $vr (v128.load (i32.add (local.get $lr) (local.get $p))))
          (local.set $vi (v128.load (i32.add (local.get $li) (local.get $p))))
          (local.set $l0r (i8x16.shuffle 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 (local.get $vr) (local.get $vr)))
          (local.set $l0i (i8x16.shuffle 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 (local.get $vi) (local.get $vi)))
          (local.set $l1r (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $vr) (local.get $vr)))
          (local.set $l1i (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $vi) (local.get $vi)))
          ;; c_a0 += p_a conj(l0): re = pr lr + pi li, im = pi lr - pr li
          (local.set $x0r (f64x2.add (local.get $x0r) (f64x2.add (f64x2.mul (local.get $nr) (local.get $l0r)) (f64x2.mul (local.get $ni) (local.get $l0i)))))
          (local.set $x0i (f64x2.add (local.get $x0i) (f64x2.sub (f64x2.mul (local.get $ni) (local.get $l0r)) (f64x2.mul (local.get $nr) (local.get $l0i)))))
          (local.set $x1r (f64x2.add (local.get $x1r) (f64x2.add (f64x2.mul (local.get $nr) (local.get $l1r)) (f64x2.mul (local.get $ni) (local.get $l1i)))))
          (local.set $x1i (f64x2.add (local.get $x1i) (f64x2.sub (f64x2.mul (local.get $ni) (local.get $l1r)) (f64x2.mul (local.get $nr) (local.get $l1i)))))
          (if (local.get $doLam)
            (then
              (local.set $ar (i8x16.shuffle 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 (local.get $vr) (local.get $vr)))
          (local.set $ai (i8x16.shuffle 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 (local.get $vi) (local.get $vi)))
          (local.set $br (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $vr) (local.get $vr)))
          (local.set $bi (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $vi) (local.get $vi)))
          (local.set $nr
            (f64x2.sub (f64x2.add (f64x2.sub (f64x2.mul (local.get $c0r) (local.get $ar)) (f64x2.mul (local.get $c0i) (local.get $ai)))
                                  (f64x2.mul (local.get $c1r) (local.get $br)))
                       (f64x2.mul (local.get $c1i) (local.get $bi))))
          (local.set $ni
            (f64x2.add (f64x2.add (f64x2.add (f64x2.mul (local.get $c0r) (local.get $ai)) (f64x2.mul (local.get $c0i) (local.get $ar)))
                                  (f64x2.mul (local.get $c1r) (local.get $bi)))
                       (f64x2.mul (local.get $c1i) (local.get $br))))
              (v128.store (i32.add (local.get $lr) (local.get $p)) (local.get $nr))
              (v128.store (i32.add (local.get $li) (local.get $p)) (local.get $ni))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br_if $pairs (i32.lt_u (local.get $p) (local.get $stop))))
        ;; out: c00r c00i c01r c01i c10r c10i c11r c11i
        (f64.store offset=0 (local.get $out) (f64x2.extract_lane 0 (local.get $x0r)))
        (f64.store offset=8 (local.get $out) (f64x2.extract_lane 0 (local.get $x0i)))
        (f64.store offset=16 (local.get $out) (f64x2.extract_lane 0 (local.get $x1r)))
        (f64.store offset=24 (local.get $out) (f64x2.extract_lane 0 (local.get $x1i)))
        (f64.store offset=32 (local.get $out) (f64x2.extract_lane 1 (local.get $x0r)))
        (f64.store offset=40 (local.get $out) (f64x2.extract_lane 1 (local.get $x0i)))
        (f64.store offset=48 (local.get $out) (f64x2.extract_lane 1 (local.get $x1r)))
        (f64.store offset=56 (local.get $out) (f64x2.extract_lane 1 (local.get $x1i)))
        (local.set $out (i32.add (local.get $out) (i32.const 64)))
        (if (local.get $per) (then (local.set $mats (i32.add (local.get $mats) (i32.const 64)))))
        (local.set $at (local.get $stop))
        (br $sample))))
)
