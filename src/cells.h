/*-------------------------------------------------------------------------
 *
 * cells.h
 *	  The customer cell lists shared by cohort_matrix and activity_lifecycle
 *	  over orders (cells.c: the state, its sorting, merging and text and
 *	  binary forms; cohort.c: the aggregates that fill and read it).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CELLS_H
#define CELLS_H

#include "lifecycle.h"

#define COHORT_VERSION		1

/* one customer's purchases on one day (or in one period) */
typedef struct CohortCell
{
	int64		customer;
	int32		day;			/* days since 2000-01-01 */
	int32		reserved;		/* always 0 */
	float8		spend;			/* sum of the known amounts */
} CohortCell;

typedef struct CohortHist
{
	int32		vl_len_;		/* varlena header, do not touch directly */
	uint8		version;		/* COHORT_VERSION */
	uint8		unit;			/* retention period unit, 0 = rolling */
	uint8		cohort_unit;	/* calendar unit of the cohorts */
	uint8		kind;			/* COHORT_KIND_* */
	int32		block_days;		/* rolling block length, else 0 */
	int32		asof;			/* last day observed ("to" of an activity state) */
	int32		n;				/* cells in use */
	int32		nsorted;		/* cells [0, nsorted) sorted and distinct */
	int32		from;			/* activity: first day reported, else 0 */
	int32		reserved;		/* always 0 */
	CohortCell	c[FLEXIBLE_ARRAY_MEMBER];
} CohortHist;

/*
 * Two SQL types share the layout: cohort_matrix_state (cohort_matrix) and
 * activity_lifecycle_state (activity_lifecycle over orders, whose cells
 * are (customer, period start) with unit == cohort_unit, as_of = "to").
 */
#define COHORT_KIND_RETENTION	0
#define COHORT_KIND_ACTIVITY	1

/* the SQL type of each kind, for messages */
extern const char *const cell_type_names[];

#define COHORT_HDRSZ		offsetof(CohortHist, c)
#define COHORT_SIZE(cap)	(COHORT_HDRSZ + (Size) (cap) * sizeof(CohortCell))
#define COHORT_CAPACITY(h)	((int) ((VARSIZE(h) - COHORT_HDRSZ) / sizeof(CohortCell)))
/* 40M cells (960 MB) at most: the state must stay a varlena */
#define COHORT_MAX_CELLS	40000000
/* a flat state becomes expanded past this many cells (1.5 MB) */
#define COHORT_EXPAND_CELLS 65536
#define COHORT_WIRE_CELL	20	/* binary form: int64, int32, float8 */

/* cells hold period starts, not days (see cohort.c) */
#define COHORT_BUCKETED(h)	((h)->unit != 0 && (h)->unit == (h)->cohort_unit)

/*
 * cell_cmp - the cell order: customer, then day.
 */
static inline int
cell_cmp(const CohortCell *a, const CohortCell *b)
{
	if (a->customer != b->customer)
		return a->customer < b->customer ? -1 : 1;
	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	return 0;
}

#define COHORT_MAX_RUNS		8	/* sorted runs a state holds unmerged */

typedef struct CohortExpanded CohortExpanded;

/*
 * A transition or combine function's view of its state.
 */
typedef struct CohortState
{
	CohortHist *h;
	CohortExpanded *eh;			/* NULL while flat */
} CohortState;

/* a sorted list of cells the final function reads */
typedef struct CohortSource
{
	const CohortCell *c;
	int			n;
	int			pos;
} CohortSource;

extern CohortHist *cohort_alloc(int capacity, int kind, int unit, int32 block_days,
								int cohort_unit, int32 asof, int32 from);
extern void cohort_compact(CohortHist *h);
extern void cohort_state_arg(FunctionCallInfo fcinfo, CohortState *st);
extern void cohort_state_reserve(CohortState *st, MemoryContext aggcontext, Size need);
extern Datum cohort_state_datum(CohortState *st);
extern bool customer_days(CohortSource *src, int nsrc, ProfileData **pp, int *pcap);
extern CohortHist *cohort_sources(Datum d, int kind, CohortSource *src, int *nsrc);

/*
 * cohort_add - append a cell; when the capacity is used up the cells are
 * compacted, and the allocation doubles only if that freed less than half.
 */
static inline void
cohort_add(CohortState *st, MemoryContext aggcontext, const CohortCell *c)
{
	CohortHist *h = st->h;

	if (h->n >= COHORT_CAPACITY(h))
	{
		int			cap = COHORT_CAPACITY(h);

		cohort_compact(h);
		if (h->n > cap / 2)
		{
			cohort_state_reserve(st, aggcontext,
								 Max((Size) h->n + 1, (Size) cap + 1));
			h = st->h;
		}
	}
	if (h->n == h->nsorted && (h->n == 0 || cell_cmp(&h->c[h->n - 1], c) < 0))
		h->nsorted++;
	h->c[h->n++] = *c;
}

#endif							/* CELLS_H */
