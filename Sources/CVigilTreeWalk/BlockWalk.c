// The eight-incident walk of `IncidentBlockTrees`: one tree at a time for eight incidents, one
// per AVX2 lane. A level's splits are all compared (each a broadcast condition against a row of
// the eight incidents' values for the split's input, one contiguous load), and each lane's
// outcome is then picked among the level's candidates by blends on the bits of its path so far:
// no gather, and no load that waits on a comparison. Zen 3 has AVX2 but no AVX-512, and there the
// tree-per-lane walks lose to the scalar one (gathers); an incident per lane needs none.
// Leaves are added in tree order, in float32, per lane, so each lane's sum is the scalar walk's
// bit for bit.
#include "CVigilTreeWalk.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

int vigil_tree_walk_block_available(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    if (!(c & (1u << 27)) || !(c & (1u << 28))) return 0;  // OSXSAVE and AVX
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 0x6u) != 0x6u) return 0;  // XMM and YMM state saved by the OS
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (b & (1u << 5)) ? 1 : 0;  // AVX2
}

#define BLOCK_TARGET __attribute__((target("avx2")))
#define BLOCK_INLINE static inline __attribute__((always_inline)) BLOCK_TARGET

// Lane-wise: `b` where bit `bit` of `path` is set, else `a`.
BLOCK_INLINE __m256 pick(__m256 a, __m256 b, __m256i path, int bit) {
    return _mm256_blendv_ps(a, b, _mm256_castsi256_ps(_mm256_slli_epi32(path, 31 - bit)));
}

// The walk for one depth (a constant where it is called, so every loop unrolls and the arrays
// stay in registers).
BLOCK_INLINE void walk(
    const uint32_t *offsets, const float *conditions, const float *leaves, const int depth, const int trees,
    const float *rows, const float base, float *out) {
    const int inner = (1 << depth) - 1;
    const int width = (1 << depth) < 8 ? 8 : (1 << depth);
    const char *r = (const char *)rows;
    __m256 sum = _mm256_set1_ps(base);
    for (int t = 0; t < trees; t++) {
        const uint32_t *off = offsets + (long)t * inner;
        const float *cond = conditions + (long)t * inner;
        // Each lane's position within the current level (0 ..< 2^level).
        __m256i path = _mm256_setzero_si256();
        int first = 0;
#pragma clang loop unroll(full)
        for (int l = 0; l < depth; l++) {
            const int n = 1 << l;
            __m256 m[32];
#pragma clang loop unroll(full)
            for (int j = 0; j < n; j++) {
                const __m256 values = _mm256_loadu_ps((const float *)(r + off[first + j]));
                m[j] = _mm256_cmp_ps(values, _mm256_broadcast_ss(cond + first + j), _CMP_GE_OQ);
            }
            // Candidates 2i and 2i + 1 differ in the path's lowest bit, then pairs of those in the
            // next bit, and so on.
#pragma clang loop unroll(full)
            for (int bit = 0, k = n; k > 1; bit++, k >>= 1) {
#pragma clang loop unroll(full)
                for (int i = 0; i < k / 2; i++) m[i] = pick(m[2 * i], m[2 * i + 1], path, bit);
            }
            // Right (an all-ones lane, -1) is the child 2p + 1.
            path = _mm256_sub_epi32(_mm256_add_epi32(path, path), _mm256_castps_si256(m[0]));
            first += n;
        }
        // The leaf at `path` among the tree's leaves, eight to a register (a permutation reads the
        // path's low three bits), the registers picked by its higher bits.
        const float *lv = leaves + (long)t * width;
        __m256 v[8];
#pragma clang loop unroll(full)
        for (int j = 0; j < width / 8; j++) v[j] = _mm256_permutevar8x32_ps(_mm256_loadu_ps(lv + 8 * j), path);
#pragma clang loop unroll(full)
        for (int bit = 3, k = width / 8; k > 1; bit++, k >>= 1) {
#pragma clang loop unroll(full)
            for (int i = 0; i < k / 2; i++) v[i] = pick(v[2 * i], v[2 * i + 1], path, bit);
        }
        sum = _mm256_add_ps(sum, v[0]);
    }
    _mm256_storeu_ps(out, sum);
}

BLOCK_TARGET void vigil_tree_walk_block(
    const uint32_t *offsets, const float *conditions, const float *leaves, int depth, int trees, const float *rows,
    float base, float *out) {
    switch (depth) {
    case 1: walk(offsets, conditions, leaves, 1, trees, rows, base, out); break;
    case 2: walk(offsets, conditions, leaves, 2, trees, rows, base, out); break;
    case 3: walk(offsets, conditions, leaves, 3, trees, rows, base, out); break;
    case 4: walk(offsets, conditions, leaves, 4, trees, rows, base, out); break;
    case 5: walk(offsets, conditions, leaves, 5, trees, rows, base, out); break;
    default: walk(offsets, conditions, leaves, 6, trees, rows, base, out); break;
    }
}

// Four inputs at a time: convert to float32, then the missing ones (NaN) as -infinity in the
// first row and +infinity in the second; each value is then stored to its two rows (a lane's
// column, eight floats apart).
BLOCK_TARGET void vigil_tree_walk_block_write(const double *x, int count, float *rows) {
    const __m128 low = _mm_set1_ps(-__builtin_inff());
    const __m128 high = _mm_set1_ps(__builtin_inff());
    int i = 0;
    for (; i + 4 <= count; i += 4) {
        const __m128 v = _mm256_cvtpd_ps(_mm256_loadu_pd(x + i));
        const __m128 missing = _mm_cmpunord_ps(v, v);
        __m128 a = _mm_blendv_ps(v, low, missing);
        __m128 b = _mm_blendv_ps(v, high, missing);
        float *o = rows + (long)i * 16;
        _mm_store_ss(o, a);
        _mm_store_ss(o + 8, b);
        a = _mm_shuffle_ps(a, a, 0x39);
        b = _mm_shuffle_ps(b, b, 0x39);
        _mm_store_ss(o + 16, a);
        _mm_store_ss(o + 24, b);
        a = _mm_shuffle_ps(a, a, 0x39);
        b = _mm_shuffle_ps(b, b, 0x39);
        _mm_store_ss(o + 32, a);
        _mm_store_ss(o + 40, b);
        a = _mm_shuffle_ps(a, a, 0x39);
        b = _mm_shuffle_ps(b, b, 0x39);
        _mm_store_ss(o + 48, a);
        _mm_store_ss(o + 56, b);
    }
    for (; i < count; i++) {
        const float v = (float)x[i];
        rows[(long)i * 16] = v != v ? -__builtin_inff() : v;
        rows[(long)i * 16 + 8] = v != v ? __builtin_inff() : v;
    }
}

#else

int vigil_tree_walk_block_available(void) { return 0; }

void vigil_tree_walk_block(
    const uint32_t *offsets, const float *conditions, const float *leaves, int depth, int trees, const float *rows,
    float base, float *out) {
    (void)offsets, (void)conditions, (void)leaves, (void)depth, (void)trees, (void)rows;
    for (int k = 0; k < 8; k++) out[k] = base;
}

void vigil_tree_walk_block_write(const double *x, int count, float *rows) {
    for (int i = 0; i < count; i++) {
        const float v = (float)x[i];
        rows[(long)i * 16] = v != v ? -__builtin_inff() : v;
        rows[(long)i * 16 + 8] = v != v ? __builtin_inff() : v;
    }
}

#endif
