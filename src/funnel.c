/*-------------------------------------------------------------------------
 *
 * funnel.c
 *	  Conversion funnels: the window_funnel and funnel_times aggregates and
 *	  their funnel_state type.
 *
 * A funnel is a list of up to 32 steps (boolean conditions per event row).
 * A chain is a sequence of events e1, ..., ek where e_i satisfies step i,
 * every event comes no earlier than its predecessor in the event order
 * below, and ts(ek) - ts(e1) <= window (inclusive).  window_funnel returns
 * the deepest k reached by any chain; funnel_times returns the timestamps
 * of the best chain (deepest, then earliest completion, then latest
 * start).
 *
 * Event order (the tie rule): rows are sorted by timestamp, and rows with
 * the same timestamp by their set of true steps, the row whose lowest
 * true step is smaller first (compared step by step: the first step on
 * which two rows differ decides, the row having it comes first); a row
 * with no true step comes last.  Within one row the steps are taken in
 * ascending order, so by default one row may fill several consecutive
 * steps (as in ClickHouse).
 *
 * The modes (ClickHouse's windowFunnel options, comma separated):
 *	  strict_once		  one row fills at most one step of a chain
 *	  strict_increase	  consecutive steps need strictly increasing times
 *						  (implies strict_once)
 *	  strict_deduplication  the scan stops at a row repeating a step (2..N)
 *						  already reached; the answer is the depth reached
 *						  so far
 *	  strict_order		  once a chain has started, the scan stops at a row
 *						  that satisfies no step, at a step whose predecessor
 *						  was never reached, and (without allow_reentry) at
 *						  a first-step row after step 2 was reached
 *	  allow_reentry		  with strict_order: a first-step row after step 2
 *						  restarts a chain instead of stopping the scan
 *
 * Unlike ClickHouse, which keeps one chain per step and so can lose a
 * valid chain (strict_increase: c1@0, c1@1, c2@1 gives 1 there), the scan
 * is a dynamic programme over the sorted events that keeps, per step, the
 * latest start time of any chain reaching it: a later start can only
 * admit more continuations, so no valid chain is ever lost.  Cost: a sort
 * (O(n log n)) plus O(n * steps) per customer.
 *
 * State (funnel_state): the window, modes and number of steps, plus one
 * 12-byte entry (timestamp, step mask) per row with at least one true step
 * (under strict_order rows with no true step are kept too, they stop the
 * scan), collected unsorted; merging concatenates.  Rows with a NULL
 * timestamp are ignored; a NULL step is false.
 *
 *-------------------------------------------------------------------------
 */
#include "lifecycle.h"

#include <ctype.h>

#include "catalog/pg_type.h"
#include "common/int.h"
#include "libpq/pqformat.h"
#include "port/pg_bitutils.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/memutils.h"

#define FUNNEL_VERSION		1
#define FUNNEL_MAX_STEPS	32

/* mode bits (stored: never renumber) */
#define FM_STRICT_ORDER		0x01
#define FM_DEDUPLICATION	0x02
#define FM_INCREASE			0x04
#define FM_ONCE				0x08
#define FM_REENTRY			0x10
#define FM_ALL				0x1F

static const char *const mode_names[] = {
	"strict_order", "strict_deduplication", "strict_increase", "strict_once",
	"allow_reentry"
};
#define FUNNEL_NMODES	5

/* one stored event: int64 timestamp then uint32 step mask (lifecycle.h) */
#define FUNNEL_EVENT_SIZE	LC_EVENT_SIZE

typedef struct FunnelState
{
	int32		vl_len_;		/* varlena header */
	uint8		version;		/* FUNNEL_VERSION */
	uint8		modes;			/* FM_* bits */
	uint8		nsteps;			/* 1 .. FUNNEL_MAX_STEPS */
	uint8		reserved;		/* always 0 */
	int32		nevents;		/* events in use */
	int32		reserved2;		/* always 0 */
	int64		window;			/* microseconds, > 0 */
	char		events[FLEXIBLE_ARRAY_MEMBER];	/* FUNNEL_EVENT_SIZE each */
} FunnelState;

#define FUNNEL_HDRSZ		offsetof(FunnelState, events)
#define FUNNEL_SIZE(cap)	(FUNNEL_HDRSZ + (Size) (cap) * FUNNEL_EVENT_SIZE)
#define FUNNEL_CAPACITY(s)	((int) ((VARSIZE(s) - FUNNEL_HDRSZ) / FUNNEL_EVENT_SIZE))
#define FUNNEL_MAX_EVENTS	((int) ((MaxAllocSize - FUNNEL_HDRSZ) / FUNNEL_EVENT_SIZE))

/*
 * Every read of a state goes through detoasting, the final functions' too:
 * a group whose only input is one partial state gets that state as copied
 * from a tuple, possibly with a short (1-byte) varlena header.
 */
#define PG_GETARG_FUNNEL_P(n) ((FunnelState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(n)))

/*
 * FunnelAlloc - an empty state with room for capacity events.
 */
static FunnelState *
FunnelAlloc(int capacity, int64 window, int modes, int nsteps)
{
	FunnelState *s = palloc0(FUNNEL_SIZE(capacity));

	SET_VARSIZE(s, FUNNEL_SIZE(capacity));
	s->version = FUNNEL_VERSION;
	s->modes = (uint8) modes;
	s->nsteps = (uint8) nsteps;
	s->window = window;
	return s;
}

/*
 * FunnelEnsure - room for need events; returns the (maybe new) state.
 * Growth is geometric.
 */
static FunnelState *
FunnelEnsure(FunnelState *s, int64 need)
{
	FunnelState *n;
	int64		cap;

	if (need <= FUNNEL_CAPACITY(s))
		return s;
	if (need > FUNNEL_MAX_EVENTS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("funnel_state would exceed %d events", FUNNEL_MAX_EVENTS),
				 errhint("Group by a finer key (e.g. customer) or filter out rows that satisfy no step.")));
	cap = Max(need, Min((int64) FUNNEL_CAPACITY(s) * 2, (int64) FUNNEL_MAX_EVENTS));
	cap = Max(cap, 4);
	n = FunnelAlloc((int) cap, s->window, s->modes, s->nsteps);
	n->nevents = s->nevents;
	memcpy(n->events, s->events, (Size) s->nevents * FUNNEL_EVENT_SIZE);
	return n;
}

/*
 * FunnelCheck - validate a state read from disk or the wire.
 */
static FunnelState *
FunnelCheck(FunnelState *s)
{
	if (VARSIZE(s) < FUNNEL_HDRSZ || s->version != FUNNEL_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("funnel_state has unknown format version %d", s->version)));
	if (s->nsteps < 1 || s->nsteps > FUNNEL_MAX_STEPS || (s->modes & ~FM_ALL) ||
		s->window <= 0 || s->nevents < 0 || s->nevents > FUNNEL_CAPACITY(s))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("funnel_state value is corrupt")));
	return s;
}

/*
 * ModesText - canonical spelling of a mode set ("" for the default).
 */
static char *
ModesText(int modes)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < FUNNEL_NMODES; i++)
		if (modes & (1 << i))
		{
			if (buf.len > 0)
				appendStringInfoChar(&buf, ',');
			appendStringInfoString(&buf, mode_names[i]);
		}
	return buf.data;
}

/*
 * ParseModes - a comma-separated list of mode names (case-insensitive,
 * spaces ignored); errors name the offending word.
 */
static int
ParseModes(const char *str)
{
	int			modes = 0;
	const char *p = str;

	for (;;)
	{
		char		word[32];
		int			n = 0;
		int			m = -1;

		while (isspace((unsigned char) *p))
			p++;
		while (*p != '\0' && *p != ',' && !isspace((unsigned char) *p))
		{
			if (n < (int) sizeof(word) - 1)
				word[n++] = tolower((unsigned char) *p);
			p++;
		}
		word[n] = '\0';
		while (isspace((unsigned char) *p))
			p++;
		if (n == 0 && *p == '\0' && modes == 0)
			break;				/* '' or blanks: the default mode */
		for (int i = 0; i < FUNNEL_NMODES; i++)
			if (strcmp(word, mode_names[i]) == 0)
				m = i;
		if (m < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown window_funnel mode \"%s\" in \"%s\"", word, str),
					 strcmp(word, "strict") == 0 ?
					 errhint("The mode 'strict' was renamed strict_deduplication.") :
					 errhint("Use a comma-separated list of strict_order, strict_deduplication, strict_increase, strict_once and allow_reentry, or '' for none.")));
		modes |= 1 << m;
		if (*p == '\0')
			break;
		if (*p != ',')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid window_funnel mode list \"%s\"", str),
					 errhint("Separate modes with commas, e.g. 'strict_order,strict_increase'.")));
		p++;
	}
	if ((modes & FM_REENTRY) && !(modes & FM_STRICT_ORDER))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("window_funnel mode allow_reentry requires strict_order"),
				 errhint("Use 'strict_order,allow_reentry', or leave allow_reentry out.")));
	return modes;
}

/* the last mode text a call site parsed, kept in fn_extra */
typedef struct ModeCache
{
	int			modes;
	int			len;
	char		name[FLEXIBLE_ARRAY_MEMBER];
} ModeCache;

/*
 * CachedModes - parse the mode argument, reusing the previous result when
 * the text is unchanged.
 */
static int
CachedModes(FunctionCallInfo fcinfo, text *t)
{
	ModeCache  *cache = (ModeCache *) fcinfo->flinfo->fn_extra;
	int			len = VARSIZE_ANY_EXHDR(t);

	if (cache == NULL || cache->len != len ||
		memcmp(cache->name, VARDATA_ANY(t), len) != 0)
	{
		int			modes = ParseModes(text_to_cstring(t));

		cache = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt,
								   offsetof(ModeCache, name) + len + 1);
		cache->modes = modes;
		cache->len = len;
		memcpy(cache->name, VARDATA_ANY(t), len);
		cache->name[len] = '\0';
		fcinfo->flinfo->fn_extra = cache;
	}
	return cache->modes;
}

/*
 * WindowUsecs - the window interval in microseconds (a month counts as 30
 * days and a day as 24 hours, as in EXTRACT(EPOCH FROM interval)); must be
 * positive.
 */
static int64
WindowUsecs(Interval *w)
{
	int64		us;
	int64		days;

	if (pg_mul_s64_overflow((int64) w->month, DAYS_PER_MONTH, &days) ||
		pg_add_s64_overflow(days, w->day, &days) ||
		pg_mul_s64_overflow(days, USECS_PER_DAY, &us) ||
		pg_add_s64_overflow(us, w->time, &us))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("window_funnel window is out of range")));
	if (us <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("window_funnel window must be positive"),
				 errhint("Pass the longest time from the first step to the last, e.g. interval '7 days'.")));
	return us;
}

/*
 * StateArg - the transition state in argument 0, or NULL; a value that is
 * not ours to modify (toasted or not yet copied) is copied first.
 */
static FunnelState *
StateArg(FunctionCallInfo fcinfo)
{
	FunnelState *s;

	if (PG_ARGISNULL(0))
		return NULL;
	s = (FunnelState *) PG_GETARG_POINTER(0);
	if (VARATT_IS_EXTENDED(s))
		s = (FunnelState *) PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(0));
	return FunnelCheck(s);
}

/*
 * CheckSameParams - error if the window, modes or steps changed within a
 * group.
 */
static void
CheckSameParams(const FunnelState *s, int64 window, int modes, int nsteps)
{
	if (s->window != window || s->modes != modes || s->nsteps != nsteps)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("window_funnel window, mode and number of steps must be the same for every row of a group"),
				 errhint("Pass constants for the window and the mode, and the same number of steps.")));
}

PG_FUNCTION_INFO_V1(lifecycle_funnel_trans);

/*
 * lifecycle_funnel_trans - window_funnel(window, [mode,] ts, VARIADIC
 * steps) transition: append (ts, mask) unless the row satisfies no step
 * (kept under strict_order, where such a row stops the scan).
 */
Datum
lifecycle_funnel_trans(PG_FUNCTION_ARGS)
{
	FunnelState *s;
	int			argoff = PG_NARGS() == 5 ? 1 : 0;
	int64		window;
	int			modes = 0;
	int			nsteps;
	uint32		mask = 0;
	ArrayType  *steps;
	Timestamp	ts;
	char	   *p;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "window_funnel transition function called in non-aggregate context");

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("window_funnel window must not be NULL"),
				 errhint("Pass the longest time from the first step to the last, e.g. interval '7 days'.")));
	window = WindowUsecs(PG_GETARG_INTERVAL_P(1));
	if (argoff)
	{
		if (PG_ARGISNULL(2))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("window_funnel mode must not be NULL"),
					 errhint("Pass '' for the default mode.")));
		modes = CachedModes(fcinfo, PG_GETARG_TEXT_PP(2));
	}
	if (PG_ARGISNULL(3 + argoff))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("window_funnel steps must not be a NULL array"),
				 errhint("Pass the step conditions as separate arguments; a NULL condition counts as false.")));
	steps = PG_GETARG_ARRAYTYPE_P(3 + argoff);
	if (ARR_NDIM(steps) > 1 || ARR_ELEMTYPE(steps) != BOOLOID)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("window_funnel steps must be a one-dimensional boolean array"),
				 errhint("Pass the step conditions as separate boolean arguments.")));
	nsteps = ArrayGetNItems(ARR_NDIM(steps), ARR_DIMS(steps));
	if (nsteps < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("window_funnel needs at least one step"),
				 errhint("Pass the step conditions after the timestamp.")));
	if (nsteps > FUNNEL_MAX_STEPS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("window_funnel supports at most %d steps, got %d",
						FUNNEL_MAX_STEPS, nsteps),
				 errhint("Split the funnel into shorter ones.")));

	/*
	 * New and grown states are made in the current (per-row) context: the
	 * executor copies a returned state that is not its first argument into
	 * the aggregate context and frees the old one, so allocating there
	 * ourselves would leave every intermediate copy behind until the end of
	 * the query (and count it against hash_mem).
	 */
	s = StateArg(fcinfo);
	if (s == NULL)
		s = FunnelAlloc(4, window, modes, nsteps);
	else
		CheckSameParams(s, window, modes, nsteps);

	if (PG_ARGISNULL(2 + argoff))
		PG_RETURN_POINTER(s);	/* no timestamp: the row is ignored */
	ts = PG_GETARG_TIMESTAMPTZ(2 + argoff);
	if (TIMESTAMP_NOT_FINITE(ts))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("window_funnel event timestamp must be finite"),
				 errhint("Filter out rows with infinite timestamps.")));

	/* ARR_DATA_PTR without its signedness warning */
	p = (char *) steps + (ARR_HASNULL(steps) ? (Size) steps->dataoffset :
						  ARR_OVERHEAD_NONULLS(ARR_NDIM(steps)));
	{
		bits8	   *nullmap = ARR_NULLBITMAP(steps);

		for (int i = 0; i < nsteps; i++)
		{
			bool		isnull = nullmap && !(nullmap[i / 8] & (1 << (i % 8)));

			if (!isnull)
			{
				if (DatumGetBool(BoolGetDatum(*p)))
					mask |= (uint32) 1 << i;
				p++;
			}
		}
	}
	if (mask == 0 && !(modes & FM_STRICT_ORDER))
		PG_RETURN_POINTER(s);

	if (s->nevents >= FUNNEL_CAPACITY(s))
		s = FunnelEnsure(s, (int64) s->nevents + 1);
	lc_event_put(s->events, s->nevents++, ts, mask);
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(lifecycle_funnel_merge);

/*
 * lifecycle_funnel_merge - combine function: concatenation of the event
 * lists (order does not matter, the final function sorts).
 */
Datum
lifecycle_funnel_merge(PG_FUNCTION_ARGS)
{
	FunnelState *b = FunnelCheck(PG_GETARG_FUNNEL_P(1));
	FunnelState *a;

	/* a grown state is made here; the executor copies it (see the transition) */
	if (AggCheckCallContext(fcinfo, NULL))
		a = StateArg(fcinfo);
	else
		a = FunnelCheck((FunnelState *) PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(0)));
	CheckSameParams(a, b->window, b->modes, b->nsteps);
	a = FunnelEnsure(a, (int64) a->nevents + b->nevents);
	memcpy(a->events + (Size) a->nevents * FUNNEL_EVENT_SIZE, b->events,
		   (Size) b->nevents * FUNNEL_EVENT_SIZE);
	a->nevents += b->nevents;
	PG_RETURN_POINTER(a);
}

/* ----------------------------------------------------------------
 * The scan
 * ----------------------------------------------------------------
 */

/* a node of a chain, for funnel_times: the event time and the node before */
typedef struct ChainNode
{
	int64		ts;
	int32		parent;			/* -1 for a first step */
} ChainNode;

typedef struct FunnelResult
{
	int			depth;
	int64		times[FUNNEL_MAX_STEPS];	/* best chain, depth entries */
} FunnelResult;

typedef struct ScanCtx
{
	bool		want_times;
	ChainNode  *nodes;
	int			nnodes;
	int			cap;
} ScanCtx;

/*
 * NewNode - record a chain node (only when the times are wanted).
 */
static int32
NewNode(ScanCtx *cx, int64 ts, int32 parent)
{
	if (!cx->want_times)
		return -1;
	if (cx->nnodes >= cx->cap)
	{
		if ((Size) cx->cap >= Min(MaxAllocHugeSize / sizeof(ChainNode) / 2, (Size) PG_INT32_MAX / 2))
			elog(ERROR, "funnel_times: too many chain nodes");
		cx->cap = cx->cap ? cx->cap * 2 : 64;
		cx->nodes = cx->nodes ?
			repalloc_huge(cx->nodes, sizeof(ChainNode) * cx->cap) :
			palloc(sizeof(ChainNode) * cx->cap);
	}
	cx->nodes[cx->nnodes].ts = ts;
	cx->nodes[cx->nnodes].parent = parent;
	return cx->nnodes++;
}

/*
 * BetterFirst - whether a chain reaching a step at ts from start st should
 * become the step's reported chain: the step was not reached before, or
 * the reported chain completes at the same time but starts earlier.
 */
static inline bool
BetterFirst(const ScanCtx *cx, bool was_reached, int32 first, int64 fstart,
			int64 ts, int64 st)
{
	if (!was_reached)
		return true;
	return cx->want_times && first >= 0 && cx->nodes[first].ts == ts && st > fstart;
}

/*
 * FunnelScan - the deepest step reached and, when wanted, the best chain's
 * times.
 *
 * start[k] is the latest start time of a chain reaching step k among the
 * events processed so far ("committed"), node[k] its last node.  Under
 * strict_once (per row) and strict_increase (per timestamp) the updates
 * of a row or timestamp group are collected as pending and committed
 * afterwards, so that they cannot feed each other.  reached has bit k set
 * once any chain reached step k (pending or committed); first[k] is the
 * node of the earliest-completing chain reaching step k (among those, the
 * latest start, fstart[k]).
 */
static void
FunnelScan(const FunnelState *s, ScanCtx *cx, FunnelResult *res)
{
	int			n = s->nevents;
	int			nsteps = s->nsteps;
	int			modes = s->modes;
	int64		window = s->window;
	bool		snapshot = (modes & (FM_ONCE | FM_INCREASE)) != 0;
	LcEvent    *ev;
	int64		start[FUNNEL_MAX_STEPS + 1];
	int32		node[FUNNEL_MAX_STEPS + 1];
	int64		pstart[FUNNEL_MAX_STEPS + 1];
	int32		pnode[FUNNEL_MAX_STEPS + 1];
	int32		first[FUNNEL_MAX_STEPS + 1];
	int64		fstart[FUNNEL_MAX_STEPS + 1];
	uint64		committed = 0;	/* bit k: start[k] valid */
	uint64		pending = 0;	/* bit k: pstart[k] valid */
	uint64		reached = 0;
	uint64		goal = (uint64) 1 << nsteps;
	int			depth;

	res->depth = 0;
	if (n == 0)
		return;
	ev = lc_events_sorted(s->events, n);

	for (int i = 0; i < n; i++)
	{
		int64		ts = ev[i].ts;
		uint32		mask = ev[i].mask;

		/* commit the previous row's (or timestamp group's) updates */
		if (pending != 0 &&
			(!(modes & FM_INCREASE) || ts != ev[i - 1].ts))
		{
			for (int k = 1; k <= nsteps; k++)
				if ((pending & ((uint64) 1 << k)) &&
					(!(committed & ((uint64) 1 << k)) || pstart[k] > start[k]))
				{
					start[k] = pstart[k];
					node[k] = pnode[k];
				}
			committed |= pending;
			pending = 0;
		}

		if (mask == 0)
		{
			/* kept only under strict_order: an unrelated event */
			if (reached != 0)
				break;
			continue;
		}

		while (mask != 0)
		{
			int			k = pg_rightmost_one_pos32(mask) + 1;
			uint64		kb = (uint64) 1 << k;
			int64		st;
			int32		parent;

			mask &= mask - 1;
			depth = reached ? pg_leftmost_one_pos64(reached) : 0;
			if (k == 1)
			{
				if ((modes & FM_STRICT_ORDER) && !(modes & FM_REENTRY) && depth >= 2)
					goto done;
				st = ts;
				parent = -1;
			}
			else
			{
				uint64		pb = (uint64) 1 << (k - 1);

				if ((modes & FM_DEDUPLICATION) && (reached & kb))
					goto done;
				if ((modes & FM_STRICT_ORDER) && depth >= 1 && !(reached & pb))
					goto done;
				if (!(committed & pb) || ts - start[k - 1] > window)
					continue;
				st = start[k - 1];
				parent = node[k - 1];
			}

			if (snapshot)
			{
				if (!(pending & kb) || st > pstart[k])
				{
					pstart[k] = st;
					pnode[k] = NewNode(cx, ts, parent);
					if (BetterFirst(cx, reached & kb, first[k], fstart[k], ts, st))
					{
						first[k] = pnode[k];
						fstart[k] = st;
					}
					pending |= kb;
				}
			}
			else if (!(committed & kb) || st > start[k])
			{
				start[k] = st;
				node[k] = NewNode(cx, ts, parent);
				if (BetterFirst(cx, reached & kb, first[k], fstart[k], ts, st))
				{
					first[k] = node[k];
					fstart[k] = st;
				}
				committed |= kb;
			}
			reached |= kb;
			if ((reached & goal) && !cx->want_times)
				goto done;
		}
		/* the times: rows of the same timestamp may still start later */
		if ((reached & goal) && (i + 1 == n || ev[i + 1].ts != ts))
			break;
	}
done:
	depth = reached ? pg_leftmost_one_pos64(reached) : 0;
	res->depth = depth;
	if (cx->want_times && depth > 0)
	{
		int32		nd = first[depth];

		for (int k = depth; k >= 1; k--)
		{
			Assert(nd >= 0);
			res->times[k - 1] = cx->nodes[nd].ts;
			nd = cx->nodes[nd].parent;
		}
	}
	pfree(ev);
}

PG_FUNCTION_INFO_V1(lifecycle_funnel_final);

/*
 * lifecycle_funnel_final - window_funnel: the deepest step reached (0 when
 * no chain starts, also for an empty group).
 */
Datum
lifecycle_funnel_final(PG_FUNCTION_ARGS)
{
	FunnelResult res;
	ScanCtx		cx = {0};

	if (PG_ARGISNULL(0))
		PG_RETURN_INT32(0);
	FunnelScan(FunnelCheck(PG_GETARG_FUNNEL_P(0)), &cx, &res);
	PG_RETURN_INT32(res.depth);
}

PG_FUNCTION_INFO_V1(lifecycle_funnel_times_final);

/*
 * lifecycle_funnel_times_final - funnel_times: the step times of the best
 * chain (deepest, then earliest completion, then latest start); an empty
 * array when no chain starts.
 */
Datum
lifecycle_funnel_times_final(PG_FUNCTION_ARGS)
{
	FunnelResult res;
	ScanCtx		cx = {0};
	Datum		values[FUNNEL_MAX_STEPS];

	res.depth = 0;
	if (!PG_ARGISNULL(0))
	{
		cx.want_times = true;
		FunnelScan(FunnelCheck(PG_GETARG_FUNNEL_P(0)), &cx, &res);
	}
	for (int k = 0; k < res.depth; k++)
		values[k] = TimestampTzGetDatum(res.times[k]);
	PG_RETURN_ARRAYTYPE_P(construct_array(values, res.depth, TIMESTAMPTZOID,
										  sizeof(TimestampTz), FLOAT8PASSBYVAL,
										  TYPALIGN_DOUBLE));
}

/* ----------------------------------------------------------------
 * Text and binary forms
 *
 * Text (canonical JSON, events in stored order):
 *	 {"v":1,"window":W,"modes":"strict_order,...","steps":N,
 *	  "events":[[ts,mask],...]}
 * W in microseconds, ts in microseconds since 1970-01-01 00:00 UTC, mask
 * the true steps (bit 0 = step 1).
 *
 * Binary: uint8 version, uint8 modes, uint8 steps, int64 window, int32 n,
 * then per event int64 ts (microseconds since 1970) and uint32 mask;
 * network byte order.
 * ----------------------------------------------------------------
 */

/*
 * Trimmed - a copy of s with capacity == nevents (the stored form).
 */
static FunnelState *
Trimmed(const FunnelState *s)
{
	FunnelState *n = palloc(FUNNEL_SIZE(s->nevents));

	memcpy(n, s, FUNNEL_SIZE(s->nevents));
	SET_VARSIZE(n, FUNNEL_SIZE(s->nevents));
	return n;
}

PG_FUNCTION_INFO_V1(lifecycle_funnel_in);

/*
 * lifecycle_funnel_in - parse the canonical text form, strictly.
 */
Datum
lifecycle_funnel_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	LcReader	rd = {str, str, "funnel_state",
	"{\"v\":1,\"window\":microseconds,\"modes\":\"strict_order,...\",\"steps\":N,\"events\":[[unix_microseconds,step_mask],...]}"};
	FunnelState *s;
	const char *pos;
	char		mtext[160];
	int64		window;
	int			modes;
	int			nsteps;
	char	   *events;
	int			n;

	lc_expect_version(&rd, FUNNEL_VERSION);
	lc_expect(&rd, "\"window\"");
	lc_expect(&rd, ":");
	window = lc_parse_int(&rd, 1, PG_INT64_MAX, "a window in microseconds");
	lc_expect(&rd, ",");
	lc_expect(&rd, "\"modes\"");
	lc_expect(&rd, ":");
	lc_skip_space(&rd);
	pos = rd.p;
	lc_parse_string(&rd, mtext, sizeof(mtext), "a mode list");
	modes = ParseModes(mtext);
	if (strcmp(mtext, ModesText(modes)) != 0)
		lc_value_error(&rd, pos, "mode list not in canonical form");
	lc_expect(&rd, ",");
	lc_expect(&rd, "\"steps\"");
	lc_expect(&rd, ":");
	nsteps = (int) lc_parse_int(&rd, 1, FUNNEL_MAX_STEPS, "a number of steps");
	lc_expect(&rd, ",");
	lc_expect(&rd, "\"events\"");
	lc_expect(&rd, ":");
	events = lc_events_read(&rd, nsteps, (modes & FM_STRICT_ORDER) != 0, FUNNEL_MAX_EVENTS,
							"a step mask",
							"event timestamp out of range or step mask invalid for the steps and modes",
							&n);
	lc_expect(&rd, "}");
	lc_expect_end(&rd);
	s = FunnelAlloc(n, window, modes, nsteps);
	memcpy(s->events, events, (Size) n * FUNNEL_EVENT_SIZE);
	s->nevents = n;
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(lifecycle_funnel_out);

/*
 * lifecycle_funnel_out - canonical text form (exact round trip).
 */
Datum
lifecycle_funnel_out(PG_FUNCTION_ARGS)
{
	FunnelState *s = FunnelCheck(PG_GETARG_FUNNEL_P(0));
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"v\":%d,\"window\":" INT64_FORMAT ",\"modes\":\"%s\",\"steps\":%d,\"events\":",
					 FUNNEL_VERSION, s->window, ModesText(s->modes), s->nsteps);
	lc_events_write(&buf, s->events, s->nevents);
	appendStringInfoChar(&buf, '}');
	PG_RETURN_CSTRING(buf.data);
}

PG_FUNCTION_INFO_V1(lifecycle_funnel_send);

/*
 * lifecycle_funnel_send - binary output.
 */
Datum
lifecycle_funnel_send(PG_FUNCTION_ARGS)
{
	FunnelState *s = FunnelCheck(PG_GETARG_FUNNEL_P(0));
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, FUNNEL_VERSION);
	pq_sendbyte(&buf, s->modes);
	pq_sendbyte(&buf, s->nsteps);
	pq_sendint64(&buf, s->window);
	lc_events_send(&buf, s->events, s->nevents);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(lifecycle_funnel_recv);

/*
 * lifecycle_funnel_recv - binary input; validates every field and rejects
 * trailing bytes.
 */
Datum
lifecycle_funnel_recv(PG_FUNCTION_ARGS)
{
	StringInfo	msg = (StringInfo) PG_GETARG_POINTER(0);
	FunnelState *s;
	int			version;
	int			modes;
	int			nsteps;
	int64		window;
	int			n;
	char	   *events;

	lc_recv_need(msg, 1 + 1 + 1 + 8, "funnel_state");
	version = pq_getmsgbyte(msg);
	if (version != FUNNEL_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported funnel_state binary version %d", version)));
	modes = pq_getmsgbyte(msg);
	nsteps = pq_getmsgbyte(msg);
	window = pq_getmsgint64(msg);
	if ((modes & ~FM_ALL) || ((modes & FM_REENTRY) && !(modes & FM_STRICT_ORDER)) ||
		nsteps < 1 || nsteps > FUNNEL_MAX_STEPS || window <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid funnel_state parameters in binary input")));
	events = lc_events_recv(msg, nsteps, (modes & FM_STRICT_ORDER) != 0, FUNNEL_MAX_EVENTS,
							"funnel_state",
							"Timestamps must be in range and step masks non-zero (except under strict_order) and within the number of steps.",
							&n);
	s = FunnelAlloc(n, window, modes, nsteps);
	memcpy(s->events, events, (Size) n * FUNNEL_EVENT_SIZE);
	s->nevents = n;
	pq_getmsgend(msg);
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(lifecycle_funnel_state_final);

/*
 * lifecycle_funnel_state_final - funnel_state_agg: the state without spare
 * capacity (a copy; the state itself is left untouched).
 */
Datum
lifecycle_funnel_state_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_POINTER(Trimmed(FunnelCheck(PG_GETARG_FUNNEL_P(0))));
}

PG_FUNCTION_INFO_V1(lifecycle_funnel_event_count);

/*
 * lifecycle_funnel_event_count - funnel_events(state): the number of
 * events a state holds (12 bytes each).
 */
Datum
lifecycle_funnel_event_count(PG_FUNCTION_ARGS)
{
	FunnelState *s = FunnelCheck(PG_GETARG_FUNNEL_P(0));

	PG_RETURN_INT32(s->nevents);
}

PG_FUNCTION_INFO_V1(lifecycle_funnel_depth);

/*
 * lifecycle_funnel_depth - funnel_depth(state): the deepest
 * step of a stored state (e.g. one built by funnel_state_agg).
 */
Datum
lifecycle_funnel_depth(PG_FUNCTION_ARGS)
{
	FunnelResult res;
	ScanCtx		cx = {0};

	FunnelScan(FunnelCheck(PG_GETARG_FUNNEL_P(0)), &cx, &res);
	PG_RETURN_INT32(res.depth);
}
