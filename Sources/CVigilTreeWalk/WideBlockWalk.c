// The sixteen-incident walk of `IncidentBlockTrees` on AVX-512: one tree at a time for sixteen
// incidents, one per lane. Every split of the tree is compared first (a contiguous row of the
// sixteen incidents' values for the split's input against its broadcast condition, into a mask),
// and each mask sets the split's bit in a per-lane word of outcomes (a masked OR: node p is bit
// p). The lanes then walk their word, a shift and an add per level, and a permutation reads each
// lane's leaf from the tree's leaves held in registers. No gather, no load that waits on a
// comparison, and no blends: ~4 vector instructions per split for sixteen incidents, about half
// the eight-incident AVX2 walk's per incident (blends of whole candidates per level).
// Leaves are added in tree order, in float32, per lane, so each lane's sum is the scalar walk's
// bit for bit.
#include "CVigilTreeWalk.h"

#if defined(__x86_64__)
#include <immintrin.h>

// The sixteen-tree walk's CPU and OS checks (AVX-512 F, BW and VL, the vector and mask state saved
// by the OS) and the eight-incident walk's (AVX2): this walk needs only F of AVX-512, and every
// CPU with F but not BW and VL is a Xeon Phi.
int vigil_tree_walk_block16_available(void) {
    return vigil_tree_walk_wide_available() && vigil_tree_walk_block_available();
}

#define WIDE_BLOCK_TARGET __attribute__((target("avx512f,avx2")))
#define WIDE_BLOCK_INLINE static inline __attribute__((always_inline)) WIDE_BLOCK_TARGET

// The walk for one depth (a constant where it is called, so the loops unroll). Splits 0 … 30 set
// bits of `low`, splits 31 … 62 (the sixth level) bits of `high`.
WIDE_BLOCK_INLINE void walk16(
    const uint32_t *offsets, const float *conditions, const float *leaves, const int depth, const int trees,
    const float *rows, const float base, float *out) {
    const int inner = (1 << depth) - 1;
    const int width = (1 << depth) < 8 ? 8 : (1 << depth);
    const char *r = (const char *)rows;
    const __m512i one = _mm512_set1_epi32(1);
    __m512 sum = _mm512_set1_ps(base);
    for (int t = 0; t < trees; t++) {
        const uint32_t *off = offsets + (long)t * inner;
        const float *cond = conditions + (long)t * inner;
        __m512i low = _mm512_setzero_si512();
        __m512i high = _mm512_setzero_si512();
#pragma clang loop unroll(full)
        for (int p = 0; p < inner; p++) {
            const __m512 values = _mm512_loadu_ps((const float *)(r + off[p]));
            const __mmask16 right = _mm512_cmp_ps_mask(values, _mm512_set1_ps(cond[p]), _CMP_GE_OQ);
            if (p < 31) low = _mm512_mask_or_epi32(low, right, low, _mm512_set1_epi32((int)(1u << p)));
            else high = _mm512_mask_or_epi32(high, right, high, _mm512_set1_epi32((int)(1u << (p - 31))));
        }
        // Heap order: node p's children are 2p + 1 (left) and 2p + 2 (right).
        __m512i node = _mm512_setzero_si512();
#pragma clang loop unroll(full)
        for (int l = 0; l < depth; l++) {
            const __m512i bit = l < 5 ? _mm512_and_si512(_mm512_srlv_epi32(low, node), one)
                                      : _mm512_and_si512(_mm512_srlv_epi32(high, _mm512_sub_epi32(node, _mm512_set1_epi32(31))), one);
            node = _mm512_add_epi32(_mm512_add_epi32(node, node), _mm512_add_epi32(one, bit));
        }
        const __m512i leaf = _mm512_sub_epi32(node, _mm512_set1_epi32(inner));
        const float *lv = leaves + (long)t * width;
        __m512 value;
        if (width == 8) {
            value = _mm512_permutexvar_ps(leaf, _mm512_maskz_loadu_ps(0xFF, lv));
        } else if (width == 16) {
            value = _mm512_permutexvar_ps(leaf, _mm512_loadu_ps(lv));
        } else if (width == 32) {
            value = _mm512_permutex2var_ps(_mm512_loadu_ps(lv), leaf, _mm512_loadu_ps(lv + 16));
        } else {
            const __m512 a = _mm512_permutex2var_ps(_mm512_loadu_ps(lv), leaf, _mm512_loadu_ps(lv + 16));
            const __m512 b = _mm512_permutex2var_ps(_mm512_loadu_ps(lv + 32), leaf, _mm512_loadu_ps(lv + 48));
            value = _mm512_mask_blend_ps(_mm512_test_epi32_mask(leaf, _mm512_set1_epi32(32)), a, b);
        }
        sum = _mm512_add_ps(sum, value);
    }
    _mm512_storeu_ps(out, sum);
}

WIDE_BLOCK_TARGET void vigil_tree_walk_block16(
    const uint32_t *offsets, const float *conditions, const float *leaves, int depth, int trees, const float *rows,
    float base, float *out) {
    switch (depth) {
    case 1: walk16(offsets, conditions, leaves, 1, trees, rows, base, out); break;
    case 2: walk16(offsets, conditions, leaves, 2, trees, rows, base, out); break;
    case 3: walk16(offsets, conditions, leaves, 3, trees, rows, base, out); break;
    case 4: walk16(offsets, conditions, leaves, 4, trees, rows, base, out); break;
    case 5: walk16(offsets, conditions, leaves, 5, trees, rows, base, out); break;
    default: walk16(offsets, conditions, leaves, 6, trees, rows, base, out); break;
    }
}

// Eight inputs at a time: convert to float32, the missing ones (NaN) as -infinity in the first
// row and +infinity in the second, then each value to its two rows (a lane's column, sixteen
// floats apart).
WIDE_BLOCK_TARGET void vigil_tree_walk_block16_write(const double *x, int count, float *rows) {
    const __m256 low = _mm256_set1_ps(-__builtin_inff());
    const __m256 high = _mm256_set1_ps(__builtin_inff());
    int i = 0;
    for (; i + 8 <= count; i += 8) {
        const __m256 v = _mm512_cvtpd_ps(_mm512_loadu_pd(x + i));
        const __m256 missing = _mm256_cmp_ps(v, v, _CMP_UNORD_Q);
        float a[8], b[8];
        _mm256_storeu_ps(a, _mm256_blendv_ps(v, low, missing));
        _mm256_storeu_ps(b, _mm256_blendv_ps(v, high, missing));
        float *o = rows + (long)i * 32;
#pragma clang loop unroll(full)
        for (int k = 0; k < 8; k++) {
            o[k * 32] = a[k];
            o[k * 32 + 16] = b[k];
        }
    }
    for (; i < count; i++) {
        const float v = (float)x[i];
        rows[(long)i * 32] = v != v ? -__builtin_inff() : v;
        rows[(long)i * 32 + 16] = v != v ? __builtin_inff() : v;
    }
}

#else

int vigil_tree_walk_block16_available(void) { return 0; }

void vigil_tree_walk_block16(
    const uint32_t *offsets, const float *conditions, const float *leaves, int depth, int trees, const float *rows,
    float base, float *out) {
    (void)offsets, (void)conditions, (void)leaves, (void)depth, (void)trees, (void)rows;
    for (int k = 0; k < 16; k++) out[k] = base;
}

void vigil_tree_walk_block16_write(const double *x, int count, float *rows) {
    for (int i = 0; i < count; i++) {
        const float v = (float)x[i];
        rows[(long)i * 32] = v != v ? -__builtin_inff() : v;
        rows[(long)i * 32 + 16] = v != v ? __builtin_inff() : v;
    }
}

#endif
