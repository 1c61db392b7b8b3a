// The sixteen-lane walk of `SixteenLaneTrees`: sixteen trees per group, one per AVX-512 lane, a
// level at a time. A lane's split at level l is chosen among the group's 2^l candidates by
// blending whole vectors on the bits of the lane's path so far (no gathers, no load that waits on
// a comparison), the input value by a permutation of the 64 inputs held in four registers.
// Leaves are added in tree order, in float32, one at a time, so the sum is the scalar walk's bit
// for bit; that chain of additions runs between the next batch's levels.
#include "CVigilTreeWalk.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

int vigil_tree_walk_wide_available(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    if (!(c & (1u << 27))) return 0;  // OSXSAVE: xgetbv is usable
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    // XMM, YMM, opmask, ZMM_Hi256 and Hi16_ZMM state saved by the OS.
    if ((lo & 0xE6u) != 0xE6u) return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    // AVX512F (16), AVX512BW (30), AVX512VL (31)
    const unsigned need = (1u << 16) | (1u << 30) | (1u << 31);
    return (b & need) == need ? 1 : 0;
}

#define WALK_TARGET __attribute__((target("avx512f,avx512bw,avx512vl")))
#define WALK_INLINE static inline __attribute__((always_inline)) WALK_TARGET

// One level of one group: the lane's split among the level's `n` candidates (halved on each bit
// of the path, lowest first: candidates 2i and 2i + 1 differ in the path's last step), its input
// from the four registers `x`, and the path one step longer.
WALK_INLINE __m512i level(
    const uint8_t *f, const float *c, const int n, __m512i path, __m512 x0, __m512 x1, __m512 x2, __m512 x3) {
    __m128i fv[32];
    __m512 cv[32];
#pragma clang loop unroll(full)
    for (int j = 0; j < n; j++) {
        fv[j] = _mm_loadu_si128((const __m128i *)(f + j * 16));
        cv[j] = _mm512_loadu_ps(c + j * 16);
    }
#pragma clang loop unroll(full)
    for (int bit = 0, m = n; m > 1; bit++, m >>= 1) {
        const __mmask16 right = _mm512_test_epi32_mask(path, _mm512_set1_epi32(1 << bit));
#pragma clang loop unroll(full)
        for (int i = 0; i < m / 2; i++) {
            fv[i] = _mm_mask_blend_epi8(right, fv[2 * i], fv[2 * i + 1]);
            cv[i] = _mm512_mask_blend_ps(right, cv[2 * i], cv[2 * i + 1]);
        }
    }
    const __m512i split = _mm512_cvtepu8_epi32(fv[0]);
    const __m512 low = _mm512_permutex2var_ps(x0, split, x1);  // reads bits 0-4
    const __m512 high = _mm512_permutex2var_ps(x2, split, x3);
    const __m512 value = _mm512_mask_blend_ps(_mm512_test_epi32_mask(split, _mm512_set1_epi32(32)), low, high);
    const __mmask16 notLess = _mm512_cmp_ps_mask(value, cv[0], _CMP_GE_OQ);
    const __mmask16 missing = _mm512_cmp_ps_mask(value, value, _CMP_UNORD_Q);
    const __mmask16 goRight = notLess | (missing & _mm512_test_epi32_mask(split, _mm512_set1_epi32(128)));
    const __m512i doubled = _mm512_add_epi32(path, path);
    return _mm512_mask_add_epi32(doubled, goRight, doubled, _mm512_set1_epi32(1));
}

// The walk for one depth, a constant where it is called, so every level's loops unroll and the
// candidates stay in registers. GROUPS groups at a time: a level is a chain of dependent vector
// steps (the path picks the split, the split the input, the comparison the next path), and
// independent chains keep the vector units busy while each waits. Two groups, with the previous
// batch's leaves added between the levels, measured fastest (one to four groups tried: 0.55 us
// per incident against 0.62 us for four groups adding their leaves after the walk).
#define GROUPS 2
WALK_INLINE float walk(
    const uint8_t *features, const float *conditions, const float *leaves, const int depth, int trees, const float *x,
    float base) {
    const __m512 x0 = _mm512_loadu_ps(x), x1 = _mm512_loadu_ps(x + 16);
    const __m512 x2 = _mm512_loadu_ps(x + 32), x3 = _mm512_loadu_ps(x + 48);
    const int inner = (1 << depth) - 1;
    const int width = 1 << depth;
    float sum = base;
    // The paths of two batches: the one being walked and the one whose leaves are being added.
    int32_t at[2][16 * GROUPS];
    // The leaves of the batch walked before, added a share per level of the next batch's walk:
    // the additions are one dependent chain (tree order, float32), and interleaved with the next
    // walk's independent vector steps they wait while those run, rather than after them.
    const float *pendingLeaves = leaves;
    int pendingLanes = 0;
    const int share = (16 * GROUPS + depth - 1) / depth;
    int parity = 0;
    for (int t = 0; t < trees; t += 16 * GROUPS) {
        const int groups = (trees - t + 15) / 16 < GROUPS ? (trees - t + 15) / 16 : GROUPS;
        const uint8_t *f = features + (long)t * inner;
        const float *c = conditions + (long)t * inner;
        const int32_t *pendingAt = at[parity ^ 1];
        __m512i path[GROUPS];
#pragma clang loop unroll(full)
        for (int g = 0; g < GROUPS; g++) path[g] = _mm512_setzero_si512();
        int first = 0;
#pragma clang loop unroll(full)
        for (int l = 0; l < depth; l++) {
#pragma clang loop unroll(full)
            for (int g = 0; g < GROUPS; g++)
                if (g < groups)
                    path[g] = level(
                        f + (g * inner + first) * 16, c + (g * inner + first) * 16, 1 << l, path[g], x0, x1, x2, x3);
            first += 1 << l;
            const int end = (l + 1) * share < pendingLanes ? (l + 1) * share : pendingLanes;
            for (int k = l * share; k < end; k++)
                sum += pendingLeaves[(k >> 4) * 16 * width + pendingAt[k] * 16 + (k & 15)];
        }
#pragma clang loop unroll(full)
        for (int g = 0; g < GROUPS; g++) _mm512_storeu_si512((void *)(at[parity] + 16 * g), path[g]);
        pendingLeaves = leaves + (long)t * width;
        pendingLanes = trees - t < 16 * GROUPS ? trees - t : 16 * GROUPS;
        parity ^= 1;
    }
    // The last batch's leaves.
    for (int k = 0; k < pendingLanes; k++)
        sum += pendingLeaves[(k >> 4) * 16 * width + at[parity ^ 1][k] * 16 + (k & 15)];
    return sum;
}

WALK_TARGET float vigil_tree_walk_wide(
    const uint8_t *features, const float *conditions, const float *leaves, int depth, int trees, const float *x,
    float base) {
    switch (depth) {
    case 1: return walk(features, conditions, leaves, 1, trees, x, base);
    case 2: return walk(features, conditions, leaves, 2, trees, x, base);
    case 3: return walk(features, conditions, leaves, 3, trees, x, base);
    case 4: return walk(features, conditions, leaves, 4, trees, x, base);
    case 5: return walk(features, conditions, leaves, 5, trees, x, base);
    default: return walk(features, conditions, leaves, 6, trees, x, base);
    }
}

#else

int vigil_tree_walk_wide_available(void) { return 0; }

float vigil_tree_walk_wide(
    const uint8_t *features, const float *conditions, const float *leaves, int depth, int trees, const float *x,
    float base) {
    (void)features, (void)conditions, (void)leaves, (void)depth, (void)trees, (void)x;
    return base;
}

#endif
