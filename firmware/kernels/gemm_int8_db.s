; Tiled INT8 GEMM with double-buffered DMA on one SPU of cluster 0.
;   C[M x N] = requant(A[M x K] x B[K x N]),  B 4x sparse in bitmap format.
; K is split into TILES tiles of TK; dma.0 streams A and B tiles into two L1 buffers of spu.0.0
; while the SPU multiplies the other buffer. Tokens:
;   t0/t1  buffer 0/1 full  (dma -> spu)      t2/t3  buffer 0/1 free (spu -> dma)
;   t4     C ready in L1    (spu -> dma)      t5     C drained to DRAM (dma -> spu)
;   t6     all done         (dma -> cpu)
.const M = 64
.const N = 64
.const K = 512
.const TK = 128
.const TILES = K / TK                 ; 4 tiles, unrolled in pairs (buffer 0, buffer 1)
.const REPEAT = 8                     ; run the whole GEMM REPEAT times (steady state)
.const WBYTES = TK * N / 4 + TK * N / 8   ; bitmap:4 tile = values + bitmap

.const A_DRAM = 0x000000
.const B_DRAM = 0x100000
.const C_DRAM = 0x200000

.const A0 = 0x0000                    ; L1 layout of spu.0.0
.const A1 = A0 + M * TK
.const B0 = A1 + M * TK
.const B1 = B0 + WBYTES
.const C = 0x8000

.engine cpu
    launch dma.0
    launch spu.0.0
    wait t6
    end

.engine dma.0
    loop REPEAT
        wait t2
        copy2d l1.0[A0], dram[A_DRAM + 0 * TK], M, TK, TK, K
        copy l1.0[B0], dram[B_DRAM + 0 * WBYTES], WBYTES
        signal t0
        wait t3
        copy2d l1.0[A1], dram[A_DRAM + 1 * TK], M, TK, TK, K
        copy l1.0[B1], dram[B_DRAM + 1 * WBYTES], WBYTES
        signal t1
        wait t2
        copy2d l1.0[A0], dram[A_DRAM + 2 * TK], M, TK, TK, K
        copy l1.0[B0], dram[B_DRAM + 2 * WBYTES], WBYTES
        signal t0
        wait t3
        copy2d l1.0[A1], dram[A_DRAM + 3 * TK], M, TK, TK, K
        copy l1.0[B1], dram[B_DRAM + 3 * WBYTES], WBYTES
        signal t1
        wait t4
        copy dram[C_DRAM], l1.0[C], M * N     ; INT8 result after rq
        signal t5
    endloop
    signal t6
    end

.engine spu.0.0
    signal t2                         ; both buffers start free, C starts drained
    signal t3
    signal t5
    loop REPEAT
        wait t0
        wait t5
        matmul M, N, TK, l1[A0], l1[B0], l1[C], int8, fmt=bitmap:4
        signal t2
        wait t1
        matmul M, N, TK, l1[A1], l1[B1], l1[C], int8, fmt=bitmap:4 acc
        signal t3
        wait t0
        matmul M, N, TK, l1[A0], l1[B0], l1[C], int8, fmt=bitmap:4 acc
        signal t2
        wait t1
        matmul M, N, TK, l1[A1], l1[B1], l1[C], int8, fmt=bitmap:4 acc rq=181:15
        signal t3
        signal t4
    endloop
    end
