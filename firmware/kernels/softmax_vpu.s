; Softmax over one BF16 vector of LEN elements held in cluster 0's L2:
;   y = exp(x - max(x)) / sum(exp(x - max(x)))
; vpu.0 does the reductions and elementwise ops, sfa.0 the exp and the reciprocal.
.const LEN = 4096
.const X = 0x0000                     ; input
.const Y = X + 2 * LEN                ; x - max
.const E = Y + 2 * LEN                ; exp(x - max)
.const OUT = E + 2 * LEN              ; result
.const MAX = OUT + 2 * LEN            ; scalars
.const SUM = MAX + 16
.const RSUM = SUM + 16

.engine cpu
    launch vpu.0
    launch sfa.0
    wait t4                           ; softmax done
    end

.engine vpu.0
    vreduce max, l2[MAX], l2[X], LEN, bf16
    vop sub, l2[Y], l2[X], l2[MAX], LEN, bf16, 1    ; broadcast the max
    signal t0
    wait t1                           ; exp done
    vreduce sum, l2[SUM], l2[E], LEN, bf16
    signal t2
    wait t3                           ; 1/sum done
    vop scale, l2[OUT], l2[E], l2[RSUM], LEN, bf16
    signal t4
    end

.engine sfa.0
    wait t0
    sfa exp, l2[E], l2[Y], LEN, bf16
    signal t1
    wait t2
    sfa recip, l2[RSUM], l2[SUM], 1, bf16
    signal t3
    end
