// Standalone timing of the model's walks on a random ensemble: the eight-incident AVX2 block
// walk, the sixteen-incident AVX-512 block walk and the per-incident sixteen-tree AVX-512 walk
// (Sources/CVigilTreeWalk), per incident, with every margin compared bit for bit. A benchmark
// of speed only; the walks' exactness is tested in Tests/VigilCoreTests.
//
//   clang -O3 -I Sources/CVigilTreeWalk/include tools/bench/tree_walks.c Sources/CVigilTreeWalk/*.c -lm -o /tmp/tree_walks
//   /tmp/tree_walks [depth (5)] [trees (250)] [inputs (55)]
//
// Prints the best of seven passes over 16,384 incidents for each walk (thread CPU time), and how
// many margins differ from the eight-incident walk's (0 expected).
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "CVigilTreeWalk.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    const int depth = argc > 1 ? atoi(argv[1]) : 5, trees = argc > 2 ? atoi(argv[2]) : 250, F = argc > 3 ? atoi(argv[3]) : 55;
    const int N = 1 << 14;
    if (depth < 1 || depth > 6 || trees < 1 || F < 1 || F > 64) return 2;
    if (!vigil_tree_walk_block_available()) {
        printf("no AVX2: nothing to time\n");
        return 0;
    }
    const int wide = vigil_tree_walk_block16_available() && vigil_tree_walk_wide_available();
    srand(42);
    const int inner = (1 << depth) - 1, width = (1 << depth) < 8 ? 8 : (1 << depth);
    uint32_t *row = malloc(4L * trees * inner);
    float *cond = malloc(4L * trees * inner), *leaves = malloc(4L * trees * width);
    for (long i = 0; i < (long)trees * inner; i++) {
        row[i] = rand() % (2 * F);  // input i's missing-as-−∞ row (2i) or missing-as-+∞ row (2i + 1)
        cond[i] = (rand() % 1000) / 100.0f;
    }
    for (long i = 0; i < (long)trees * width; i++) leaves[i] = (rand() % 2001 - 1000) / 3000.0f;
    uint32_t *off8 = malloc(4L * trees * inner), *off16 = malloc(4L * trees * inner);
    for (long i = 0; i < (long)trees * inner; i++) {
        off8[i] = row[i] * 8 * 4;
        off16[i] = row[i] * 16 * 4;
    }
    double *x = malloc(8L * N * F);
    for (long i = 0; i < (long)N * F; i++) {
        x[i] = rand() % 13 == 0 ? NAN : (rand() % 1000) / 100.0;
        if (rand() % 50 == 0) x[i] = cond[rand() % (trees * inner)];  // on a threshold
    }
    float *r8 = calloc((size_t)(N / 8) * 2 * F * 8, 4), *r16 = calloc((size_t)(N / 16) * 2 * F * 16, 4);
    for (int b = 0; b < N / 8; b++)
        for (int k = 0; k < 8; k++) vigil_tree_walk_block_write(x + (long)(b * 8 + k) * F, F, r8 + (long)b * 2 * F * 8 + k);
    if (wide)
        for (int b = 0; b < N / 16; b++)
            for (int k = 0; k < 16; k++) vigil_tree_walk_block16_write(x + (long)(b * 16 + k) * F, F, r16 + (long)b * 2 * F * 16 + k);
    // The per-incident walk's layout: sixteen trees a group, position by position, lane by lane.
    const int groups = (trees + 15) / 16;
    uint8_t *wf = calloc((size_t)groups * inner * 16, 1);
    float *wc = calloc((size_t)groups * inner * 16, 4), *wl = calloc((size_t)groups * (1 << depth) * 16, 4);
    for (int t = 0; t < trees; t++) {
        const int g = t / 16, k = t % 16;
        for (int p = 0; p < inner; p++) {
            const uint32_t fm = row[(long)t * inner + p];
            wf[(g * inner + p) * 16 + k] = (uint8_t)((fm / 2) | ((fm & 1) ? 128 : 0));
            wc[(g * inner + p) * 16 + k] = cond[(long)t * inner + p];
        }
        for (int q = 0; q < (1 << depth); q++) wl[(g * (1 << depth) + q) * 16 + k] = leaves[(long)t * width + q];
    }
    float *o8 = malloc(4L * N), *o16 = malloc(4L * N), *ow = malloc(4L * N), xw[64] = {0};
    double best8 = 1e9, best16 = 1e9, bestw = 1e9;
    for (int pass = 0; pass < 7; pass++) {
        double t0 = now();
        for (int b = 0; b < N / 8; b++)
            vigil_tree_walk_block(off8, cond, leaves, depth, trees, r8 + (long)b * 2 * F * 8, 0.5f, o8 + b * 8);
        double t1 = now();
        if (t1 - t0 < best8) best8 = t1 - t0;
        if (!wide) continue;
        for (int b = 0; b < N / 16; b++)
            vigil_tree_walk_block16(off16, cond, leaves, depth, trees, r16 + (long)b * 2 * F * 16, 0.5f, o16 + b * 16);
        double t2 = now();
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < F; j++) xw[j] = (float)x[(long)i * F + j];
            ow[i] = vigil_tree_walk_wide(wf, wc, wl, depth, trees, xw, 0.5f);
        }
        double t3 = now();
        if (t2 - t1 < best16) best16 = t2 - t1;
        if (t3 - t2 < bestw) bestw = t3 - t2;
    }
    printf("depth %d, %d trees, %d inputs: eight-incident blocks %.0f ns an incident\n", depth, trees, F, best8 / N * 1e9);
    if (!wide) {
        printf("no AVX-512: the sixteen-lane walks are not timed\n");
        return 0;
    }
    int d16 = 0, dw = 0;
    for (int i = 0; i < N; i++) {
        d16 += memcmp(o8 + i, o16 + i, 4) != 0;
        dw += memcmp(o8 + i, ow + i, 4) != 0;
    }
    printf("sixteen-incident blocks %.0f ns (%d margins differ), one incident at a time (sixteen trees a vector) %.0f ns (%d differ)\n",
           best16 / N * 1e9, d16, bestw / N * 1e9, dw);
    return d16 || dw;
}
