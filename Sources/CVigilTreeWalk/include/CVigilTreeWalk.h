#ifndef CVIGIL_TREE_WALK_H
#define CVIGIL_TREE_WALK_H

#include <stdint.h>

/// Whether this CPU and OS run the sixteen-lane walk (AVX-512 F, BW and VL, with the OS saving
/// the vector registers). Asked once.
int vigil_tree_walk_wide_available(void);

/// The margin of a complete-tree ensemble laid out sixteen trees to a group (`SixteenLaneTrees`):
/// `base`, then each tree's leaf for `x` added in tree order, in float32.
///
/// `features` and `conditions`: per group, `(2^depth - 1) * 16` entries, position by position,
/// lane by lane; a feature entry is the input's index (below 64), or-ed with 128 when a missing
/// value (NaN) goes right. `depth`: 1 to 6. `leaves`: per group `2^depth * 16`, laid out the same way.
/// `x`: 64 float32 values (the inputs, then padding). A value goes right when it is `>=` the
/// condition, or when it is missing and the split says so: XGBoost's rule.
float vigil_tree_walk_wide(
    const uint8_t *features, const float *conditions, const float *leaves, int depth, int trees, const float *x,
    float base);

/// Whether this CPU and OS run the eight-incident walk (AVX2, with the OS saving the vector
/// registers). Asked once.
int vigil_tree_walk_block_available(void);

/// The margins of eight incidents at once for a complete-tree ensemble laid out tree by tree
/// (`IncidentBlockTrees`): per lane, `base`, then each tree's leaf added in tree order, in float32.
///
/// `offsets` and `conditions`: per tree, `2^depth - 1` entries in heap order; an offset is the byte
/// offset in `rows` of the row the split reads. `leaves`: per tree `max(8, 2^depth)` values, left
/// to right (padding after). `depth`: 1 to 6. `rows`: rows of eight float32 values, one per lane;
/// the caller writes each input twice, with a missing value as -infinity and as +infinity, and
/// points a split at the copy its missing direction needs, so a lane goes right when its value is
/// `>=` the (finite) condition: XGBoost's rule. `out`: the eight margins.
void vigil_tree_walk_block(
    const uint32_t *offsets, const float *conditions, const float *leaves, int depth, int trees, const float *rows,
    float base, float *out);

/// Writes one incident's inputs into its lane of the eight-incident rows: input i, as float32, at
/// `rows[16 i]` with a missing value (NaN) as -infinity and at `rows[16 i + 8]` as +infinity
/// (`rows` points at row 0 of the lane). With AVX2 four inputs at a time; call it only where
/// `vigil_tree_walk_block_available()` says so, as the walk.
void vigil_tree_walk_block_write(const double *x, int count, float *rows);

/// Whether this CPU and OS run the sixteen-incident walk: where both the sixteen-tree walk
/// (AVX-512 F, BW and VL, with the OS saving the vector and mask registers) and the eight-incident
/// walk (AVX2) run. Asked once.
int vigil_tree_walk_block16_available(void);

/// `vigil_tree_walk_block` for sixteen incidents, one per AVX-512 lane: the same `offsets` (byte
/// offsets of rows of sixteen float32 values), `conditions`, `leaves` and `depth`; `out` gets the
/// sixteen margins.
void vigil_tree_walk_block16(
    const uint32_t *offsets, const float *conditions, const float *leaves, int depth, int trees, const float *rows,
    float base, float *out);

/// `vigil_tree_walk_block_write` for the sixteen-incident rows: input i at `rows[32 i]` (missing as
/// -infinity) and `rows[32 i + 16]` (missing as +infinity). Call it only where
/// `vigil_tree_walk_block16_available()` says so.
void vigil_tree_walk_block16_write(const double *x, int count, float *rows);

#endif
