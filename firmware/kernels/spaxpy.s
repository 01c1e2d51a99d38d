; Sparse vector update u <- u + r * v on vpu.0 (BF16 values, INT32 indices, 8-byte (index, value) pairs).
; dma.0 stages both vectors from DRAM into L2; u's L2 buffer has room for NNZU + NNZV pairs, the size of the union.
.const NNZU = 1000
.const NNZV = 600
.const PAIR = 8
.const U_DRAM = 0x40000
.const V_DRAM = 0x50000
.const U = 0x0000
.const V = U + (NNZU + NNZV) * PAIR
.const R = V + NNZV * PAIR            ; r in memory, for the second update

.engine cpu
    launch dma.0
    launch vpu.0
    wait t2
    end

.engine dma.0
    copy l2[U], dram[U_DRAM], NNZU * PAIR
    copy l2[V], dram[V_DRAM], NNZV * PAIR
    copy l2[R], dram[V_DRAM - 16], 2
    signal t0
    wait t1
    copy dram[U_DRAM], l2[U], (NNZU + NNZV) * PAIR
    signal t2
    end

.engine vpu.0
    wait t0
    spaxpy l2[U], 0.5, l2[V], NNZU, NNZV, bf16          ; r as an immediate
    spaxpy l2[U], l2[R], l2[V], NNZU + NNZV, NNZV, bf16 ; r from memory
    signal t1
    end
