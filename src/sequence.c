/*-------------------------------------------------------------------------
 *
 * sequence.c
 *	  Event sequences: the sequence_match and sequence_count aggregates and
 *	  their sequence_state type (ClickHouse's sequenceMatch/sequenceCount).
 *
 * A pattern is a list of tokens:
 *	  (?N)			  an event satisfying condition N (1-based)
 *	  .				  any one event
 *	  .*			  any number of events (zero or more)
 *	  (?t OP secs)	  a time constraint, OP one of <=, <, >=, >, ==, secs a
 *					  whole number of seconds: the time from the event matched
 *					  by the event token before it ((?N) or .) to the one
 *					  matched by the event token after it, with or without .*
 *					  on either side (ClickHouse measures from the last event
 *					  .* swallowed, so that (?1).*(?t>0)(?2) never matches
 *					  there; here it means a 2 some time after a 1)
 * Spaces between tokens are ignored.  The pattern may match anywhere (an
 * implicit .* leads).
 *
 * Events are the rows with at least one true condition (rows satisfying
 * none are invisible, as in ClickHouse), in the order of window_funnel:
 * timestamp, then the row whose lowest true condition is smaller first.
 * sequence_count counts non-overlapping matches, each taken with the
 * earliest possible end, scanning on after it; sequence_match is whether
 * that count is positive.
 *
 * The matcher is one left-to-right pass: reach[j][b] says that event token
 * j can match event b at the end of a partial match that starts after the
 * previous counted match.  Adjacent tokens look at event b - 1; tokens
 * after .* look at a range of earlier events, which the time constraints
 * narrow to a contiguous range of the sorted events, answered from prefix
 * counts: O(n * tokens * log n) per group, never exponential.
 *
 * State (sequence_state): the pattern text, the number of conditions, and
 * 12 bytes (timestamp, condition mask) per event, collected unsorted;
 * merging concatenates.
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

#define SEQ_VERSION			1
#define SEQ_MAX_CONDS		32
#define SEQ_MAX_PATTERN		1000	/* characters */
#define SEQ_MAX_TOKENS		64		/* event tokens */
#define SEQ_EVENT_SIZE		LC_EVENT_SIZE

typedef struct SeqState
{
	int32		vl_len_;		/* varlena header */
	uint8		version;		/* SEQ_VERSION */
	uint8		nconds;			/* 1 .. SEQ_MAX_CONDS */
	uint16		patlen;			/* pattern bytes (no terminator) */
	int32		nevents;		/* events in use */
	char		data[FLEXIBLE_ARRAY_MEMBER];	/* pattern, then events */
} SeqState;

#define SEQ_HDRSZ			offsetof(SeqState, data)
#define SEQ_EVENTS(s)		((s)->data + (s)->patlen)
#define SEQ_SIZE(patlen, cap) (SEQ_HDRSZ + (Size) (patlen) + (Size) (cap) * SEQ_EVENT_SIZE)
#define SEQ_CAPACITY(s)		((int) ((VARSIZE(s) - SEQ_HDRSZ - (s)->patlen) / SEQ_EVENT_SIZE))
#define SEQ_MAX_EVENTS		((int) ((MaxAllocSize - SEQ_HDRSZ - SEQ_MAX_PATTERN) / SEQ_EVENT_SIZE))

#define PG_GETARG_SEQ_P(n) ((SeqState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(n)))

/* a compiled pattern: event tokens with what precedes each */
typedef struct SeqToken
{
	int			cond;			/* 1-based condition, 0 for "." */
	bool		star;			/* any number of events may come before */
	int64		lo;				/* time from the previous event token, usecs */
	int64		hi;
} SeqToken;

typedef struct SeqPattern
{
	int			ntokens;
	SeqToken	tok[SEQ_MAX_TOKENS];
} SeqPattern;

/*
 * PatternError - report a pattern problem at position pos (0-based).
 */
static void
PatternError(const char *pat, int len, int pos, const char *what)
pg_attribute_noreturn();

/* SQLSTATE of pattern errors: 22P02, or 22P03 while reading binary input */
static int	pattern_errcode = ERRCODE_INVALID_TEXT_REPRESENTATION;

static void
PatternError(const char *pat, int len, int pos, const char *what)
{
	ereport(ERROR,
			(errcode(pattern_errcode),
			 errmsg("invalid sequence pattern \"%.*s\": %s at character %d",
					len, pat, what, pos + 1),
			 errhint("A pattern is made of (?N) for an event satisfying condition N, . for any event, .* for any number of events and (?t<=secs), (?t<secs), (?t>=secs), (?t>secs), (?t==secs) between two events, e.g. '(?1).*(?t<=3600)(?2)'.")));
}

/*
 * ParsePattern - compile pat (len bytes) for nconds conditions.
 */
static void
ParsePattern(const char *pat, int len, int nconds, SeqPattern *out)
{
	int			i = 0;
	bool		star = true;	/* the implicit leading .* */
	int64		lo = 0;
	int64		hi = PG_INT64_MAX;
	bool		has_time = false;
	int			time_pos = 0;

	out->ntokens = 0;
	if (len > SEQ_MAX_PATTERN)
		PatternError(pat, len, SEQ_MAX_PATTERN, "pattern too long");
	for (;;)
	{
		int			start;

		while (i < len && isspace((unsigned char) pat[i]))
			i++;
		if (i >= len)
			break;
		start = i;
		if (pat[i] == '.')
		{
			if (i + 1 < len && pat[i + 1] == '*')
			{
				star = true;
				i += 2;
				continue;
			}
			i++;
			goto event;
		}
		if (pat[i] != '(')
			PatternError(pat, len, start, "expected (?N), (?t...), . or .*");
		if (i + 1 >= len || pat[i + 1] != '?')
			PatternError(pat, len, i + 1, "expected ? after (");
		i += 2;
		if (i < len && pat[i] == 't')
		{
			int64		v = 0;
			int64		us;
			int			op;		/* 0 <=, 1 <, 2 >=, 3 >, 4 == */
			int			digits = 0;

			i++;
			if (out->ntokens == 0)
				PatternError(pat, len, start, "a time constraint must come after an event ((?N) or .)");
			if (i + 1 < len && pat[i] == '<' && pat[i + 1] == '=')
				op = 0, i += 2;
			else if (i < len && pat[i] == '<')
				op = 1, i += 1;
			else if (i + 1 < len && pat[i] == '>' && pat[i + 1] == '=')
				op = 2, i += 2;
			else if (i < len && pat[i] == '>')
				op = 3, i += 1;
			else if (i + 1 < len && pat[i] == '=' && pat[i + 1] == '=')
				op = 4, i += 2;
			else
				PatternError(pat, len, i, "expected <=, <, >=, > or == in a time constraint");
			while (i < len && isdigit((unsigned char) pat[i]))
			{
				if (v > 1000000000000LL)
					PatternError(pat, len, i, "seconds out of range");
				v = v * 10 + (pat[i] - '0');
				digits++;
				i++;
			}
			if (digits == 0)
				PatternError(pat, len, i, "expected a whole number of seconds");
			if (i >= len || pat[i] != ')')
				PatternError(pat, len, i, "expected ) to close the time constraint");
			i++;
			us = v * USECS_PER_SEC;
			switch (op)
			{
				case 0:
					hi = Min(hi, us);
					break;
				case 1:
					hi = Min(hi, us - 1);
					break;
				case 2:
					lo = Max(lo, us);
					break;
				case 3:
					lo = Max(lo, us + 1);
					break;
				default:
					lo = Max(lo, us);
					hi = Min(hi, us);
					break;
			}
			if (!has_time)
				time_pos = start;
			has_time = true;
			continue;
		}
		else
		{
			int			k = 0;
			int			digits = 0;

			while (i < len && isdigit((unsigned char) pat[i]))
			{
				if (k > 1000)
					PatternError(pat, len, i, "condition number out of range");
				k = k * 10 + (pat[i] - '0');
				digits++;
				i++;
			}
			if (digits == 0)
				PatternError(pat, len, i, "expected a condition number or t after (?");
			if (i >= len || pat[i] != ')')
				PatternError(pat, len, i, "expected ) to close (?N)");
			if (k < 1 || k > nconds)
				ereport(ERROR,
						(errcode(pattern_errcode == ERRCODE_INVALID_TEXT_REPRESENTATION ?
								 ERRCODE_INVALID_PARAMETER_VALUE : pattern_errcode),
						 errmsg("sequence pattern \"%.*s\" refers to condition %d at character %d, but there are %d conditions",
								len, pat, k, start + 1, nconds),
						 errhint("Conditions are numbered from 1 in the order they are passed.")));
			i++;
			if (out->ntokens >= SEQ_MAX_TOKENS)
				PatternError(pat, len, start, "more than 64 events in the pattern");
			out->tok[out->ntokens].cond = k;
			goto store;
		}
event:
		if (out->ntokens >= SEQ_MAX_TOKENS)
			PatternError(pat, len, start, "more than 64 events in the pattern");
		out->tok[out->ntokens].cond = 0;
store:
		out->tok[out->ntokens].star = star;
		out->tok[out->ntokens].lo = lo;
		out->tok[out->ntokens].hi = hi;
		out->ntokens++;
		star = false;
		lo = 0;
		hi = PG_INT64_MAX;
		has_time = false;
	}
	if (has_time)
		PatternError(pat, len, time_pos, "a time constraint must be followed by an event ((?N) or .)");
	if (out->ntokens == 0)
		PatternError(pat, len, len, len == 0 ? "the pattern is empty" : "the pattern has no event ((?N) or .)");
}

/* ----------------------------------------------------------------
 * State handling
 * ----------------------------------------------------------------
 */

/*
 * SeqAlloc - an empty state for pattern pat with room for capacity events.
 */
static SeqState *
SeqAlloc(const char *pat, int patlen, int nconds, int capacity)
{
	SeqState   *s = palloc0(SEQ_SIZE(patlen, capacity));

	SET_VARSIZE(s, SEQ_SIZE(patlen, capacity));
	s->version = SEQ_VERSION;
	s->nconds = (uint8) nconds;
	s->patlen = (uint16) patlen;
	memcpy(s->data, pat, patlen);
	return s;
}

/*
 * SeqEnsure - room for need events; returns the (maybe new) state.
 */
static SeqState *
SeqEnsure(SeqState *s, int64 need)
{
	SeqState   *n;
	int64		cap;

	if (need <= SEQ_CAPACITY(s))
		return s;
	if (need > SEQ_MAX_EVENTS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("sequence_state would exceed %d events", SEQ_MAX_EVENTS),
				 errhint("Group by a finer key (e.g. customer).")));
	cap = Max(need, Min((int64) SEQ_CAPACITY(s) * 2, (int64) SEQ_MAX_EVENTS));
	cap = Max(cap, 4);
	n = SeqAlloc(s->data, s->patlen, s->nconds, (int) cap);
	n->nevents = s->nevents;
	memcpy(SEQ_EVENTS(n), SEQ_EVENTS(s), (Size) s->nevents * SEQ_EVENT_SIZE);
	return n;
}

/*
 * SeqCheck - validate a state read from disk or the wire.
 */
static SeqState *
SeqCheck(SeqState *s)
{
	if (VARSIZE(s) < SEQ_HDRSZ || s->version != SEQ_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("sequence_state has unknown format version %d", s->version)));
	if (s->nconds < 1 || s->nconds > SEQ_MAX_CONDS || s->patlen > SEQ_MAX_PATTERN ||
		VARSIZE(s) < SEQ_SIZE(s->patlen, 0) ||
		s->nevents < 0 || s->nevents > SEQ_CAPACITY(s))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("sequence_state value is corrupt")));
	return s;
}

/*
 * StateArg - the transition state in argument 0, or NULL; copied first
 * when it is not ours to modify.
 */
static SeqState *
StateArg(FunctionCallInfo fcinfo)
{
	SeqState   *s;

	if (PG_ARGISNULL(0))
		return NULL;
	s = (SeqState *) PG_GETARG_POINTER(0);
	if (VARATT_IS_EXTENDED(s))
		s = (SeqState *) PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(0));
	return SeqCheck(s);
}

/*
 * CheckSameParams - error unless s was built for the same pattern and
 * conditions.
 */
static void
CheckSameParams(const SeqState *s, const char *pat, int patlen, int nconds)
{
	if (s->nconds != nconds || s->patlen != patlen || memcmp(s->data, pat, patlen) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("sequence pattern and number of conditions must be the same for every row of a group"),
				 errhint("Pass a constant pattern and the same conditions on every row.")));
}

/* the last pattern a call site compiled, kept in fn_extra */
typedef struct PatternCache
{
	int			nconds;
	int			len;
	char		pat[SEQ_MAX_PATTERN + 1];
} PatternCache;

PG_FUNCTION_INFO_V1(lifecycle_sequence_trans);

/*
 * lifecycle_sequence_trans - sequence_match/sequence_count(pattern, ts,
 * VARIADIC conds) transition: append (ts, mask) of a row with at least one
 * true condition.
 */
Datum
lifecycle_sequence_trans(PG_FUNCTION_ARGS)
{
	SeqState   *s;
	text	   *pt;
	const char *pat;
	int			patlen;
	ArrayType  *conds;
	int			nconds;
	uint32		mask = 0;
	Timestamp	ts;
	char	   *p;
	bits8	   *nullmap;
	PatternCache *cache;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "sequence_match transition function called in non-aggregate context");
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("sequence pattern must not be NULL"),
				 errhint("Pass a pattern such as '(?1).*(?2)'.")));
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("sequence conditions must not be a NULL array"),
				 errhint("Pass the conditions as separate arguments; a NULL condition counts as false.")));
	conds = PG_GETARG_ARRAYTYPE_P(3);
	if (ARR_NDIM(conds) > 1 || ARR_ELEMTYPE(conds) != BOOLOID)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("sequence conditions must be a one-dimensional boolean array"),
				 errhint("Pass the conditions as separate boolean arguments.")));
	nconds = ArrayGetNItems(ARR_NDIM(conds), ARR_DIMS(conds));
	if (nconds < 1 || nconds > SEQ_MAX_CONDS)
		ereport(ERROR,
				(errcode(nconds < 1 ? ERRCODE_INVALID_PARAMETER_VALUE : ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("sequence aggregates take 1 to %d conditions, got %d", SEQ_MAX_CONDS, nconds),
				 errhint("Pass the conditions after the timestamp.")));

	pt = PG_GETARG_TEXT_PP(1);
	pat = VARDATA_ANY(pt);
	patlen = VARSIZE_ANY_EXHDR(pt);
	cache = (PatternCache *) fcinfo->flinfo->fn_extra;
	if (cache == NULL || cache->nconds != nconds || cache->len != patlen ||
		memcmp(cache->pat, pat, patlen) != 0)
	{
		SeqPattern	compiled;

		ParsePattern(pat, patlen, nconds, &compiled);	/* validates */
		if (cache == NULL)
			cache = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(PatternCache));
		cache->nconds = nconds;
		cache->len = patlen;
		memcpy(cache->pat, pat, patlen);
		fcinfo->flinfo->fn_extra = cache;
	}

	/*
	 * New and grown states are made in the current (per-row) context: the
	 * executor copies a returned state that is not its first argument into
	 * the aggregate context and frees the old one.
	 */
	s = StateArg(fcinfo);
	if (s == NULL)
		s = SeqAlloc(pat, patlen, nconds, 4);
	else
		CheckSameParams(s, pat, patlen, nconds);

	if (PG_ARGISNULL(2))
		PG_RETURN_POINTER(s);	/* no timestamp: the row is ignored */
	ts = PG_GETARG_TIMESTAMPTZ(2);
	if (TIMESTAMP_NOT_FINITE(ts))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("sequence event timestamp must be finite"),
				 errhint("Filter out rows with infinite timestamps.")));

	p = (char *) conds + (ARR_HASNULL(conds) ? (Size) conds->dataoffset :
						  ARR_OVERHEAD_NONULLS(ARR_NDIM(conds)));
	nullmap = ARR_NULLBITMAP(conds);
	for (int i = 0; i < nconds; i++)
	{
		if (nullmap && !(nullmap[i / 8] & (1 << (i % 8))))
			continue;
		if (*p)
			mask |= (uint32) 1 << i;
		p++;
	}
	if (mask == 0)
		PG_RETURN_POINTER(s);	/* invisible to patterns */

	if (s->nevents >= SEQ_CAPACITY(s))
		s = SeqEnsure(s, (int64) s->nevents + 1);
	lc_event_put(SEQ_EVENTS(s), s->nevents++, ts, mask);
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(lifecycle_sequence_merge);

/*
 * lifecycle_sequence_merge - combine function: concatenation.
 */
Datum
lifecycle_sequence_merge(PG_FUNCTION_ARGS)
{
	SeqState   *b = SeqCheck(PG_GETARG_SEQ_P(1));
	SeqState   *a;

	/* a grown state is made here; the executor copies it (see the transition) */
	if (AggCheckCallContext(fcinfo, NULL))
		a = StateArg(fcinfo);
	else
		a = SeqCheck((SeqState *) PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(0)));
	CheckSameParams(a, b->data, b->patlen, b->nconds);
	a = SeqEnsure(a, (int64) a->nevents + b->nevents);
	memcpy(SEQ_EVENTS(a) + (Size) a->nevents * SEQ_EVENT_SIZE, SEQ_EVENTS(b),
		   (Size) b->nevents * SEQ_EVENT_SIZE);
	a->nevents += b->nevents;
	PG_RETURN_POINTER(a);
}

/* ----------------------------------------------------------------
 * Matching
 * ----------------------------------------------------------------
 */

/*
 * FirstAtLeast - first index in [0, n) with ts >= t (n if none).
 */
static int
FirstAtLeast(const LcEvent *ev, int n, int64 t)
{
	int			lo = 0,
				hi = n;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (ev[mid].ts < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * SeqCount - non-overlapping matches of the state's pattern (stop after
 * the first when first_only).
 *
 * reach[j * n + b]: token j matches event b at the end of a partial match
 * starting at or after floor (the event after the last counted match);
 * cnt[j * (n + 1) + b + 1] its prefix counts over b.
 */
static int64
SeqCount(const SeqState *s, bool first_only)
{
	SeqPattern	pt;
	int			n = s->nevents;
	int			m;
	LcEvent    *ev;
	bool	   *reach;
	int32	   *cnt;
	int			floor = 0;
	int64		count = 0;

	ParsePattern(s->data, s->patlen, s->nconds, &pt);
	m = pt.ntokens;
	if (n == 0)
		return 0;
	ev = lc_events_sorted(SEQ_EVENTS(s), n);
	reach = palloc0(sizeof(bool) * (Size) m * n);
	cnt = palloc0(sizeof(int32) * (Size) m * (n + 1));

	for (int b = 0; b < n; b++)
	{
		bool		done = false;

		for (int j = 0; j < m; j++)
		{
			const SeqToken *t = &pt.tok[j];
			bool		ok = t->cond == 0 || (ev[b].mask & ((uint32) 1 << (t->cond - 1)));

			if (ok && j > 0)
			{
				const int32 *pc = cnt + (Size) (j - 1) * (n + 1);

				if (!t->star)
				{
					int			a = b - 1;

					ok = a >= floor && reach[(Size) (j - 1) * n + a] &&
						ev[b].ts - ev[a].ts >= t->lo && ev[b].ts - ev[a].ts <= t->hi;
				}
				else
				{
					/* a in [floor, b) with ts[b] - hi <= ts[a] <= ts[b] - lo */
					int			alo = floor;
					int			ahi = b;	/* exclusive */

					if (t->hi != PG_INT64_MAX)
						alo = Max(alo, FirstAtLeast(ev, b, ev[b].ts - t->hi));
					if (t->lo > 0)
						ahi = Min(ahi, FirstAtLeast(ev, b, ev[b].ts - t->lo + 1));
					ok = ahi > alo && pc[ahi] - pc[alo] > 0;
				}
			}
			else if (ok && !t->star)
				ok = false;		/* cannot happen: the first token follows .* */
			reach[(Size) j * n + b] = ok;
		}
		/* prefix counts for event b */
		for (int j = 0; j < m; j++)
		{
			int32	   *pc = cnt + (Size) j * (n + 1);

			pc[b + 1] = pc[b] + (reach[(Size) j * n + b] ? 1 : 0);
		}
		if (reach[(Size) (m - 1) * n + b])
		{
			count++;
			done = first_only;
			floor = b + 1;		/* the next match starts after this one */
		}
		if (done)
			break;
	}
	pfree(ev);
	pfree(reach);
	pfree(cnt);
	return count;
}

PG_FUNCTION_INFO_V1(lifecycle_sequence_match_final);

/*
 * lifecycle_sequence_match_final - sequence_match: whether the pattern
 * occurs (false for an empty group).
 */
Datum
lifecycle_sequence_match_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(SeqCount(SeqCheck(PG_GETARG_SEQ_P(0)), true) > 0);
}

PG_FUNCTION_INFO_V1(lifecycle_sequence_count_final);

/*
 * lifecycle_sequence_count_final - sequence_count: non-overlapping matches
 * (0 for an empty group).
 */
Datum
lifecycle_sequence_count_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_INT64(0);
	PG_RETURN_INT64(SeqCount(SeqCheck(PG_GETARG_SEQ_P(0)), false));
}

/* ----------------------------------------------------------------
 * Text and binary forms
 *
 * Text: {"v":1,"pattern":"(?1).*(?2)","conditions":N,
 *		  "events":[[unix_microseconds,mask],...]}
 * Binary: uint8 version, uint8 conditions, uint16 pattern length, the
 * pattern bytes, int32 n, then per event int64 ts (microseconds since
 * 1970) and uint32 mask; network byte order.
 * ----------------------------------------------------------------
 */

/*
 * Trimmed - a copy without spare capacity.
 */
static SeqState *
Trimmed(const SeqState *s)
{
	Size		sz = SEQ_SIZE(s->patlen, s->nevents);
	SeqState   *n = palloc(sz);

	memcpy(n, s, sz);
	SET_VARSIZE(n, sz);
	return n;
}

PG_FUNCTION_INFO_V1(lifecycle_sequence_in);

/*
 * lifecycle_sequence_in - parse the canonical text form, strictly.
 */
Datum
lifecycle_sequence_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	LcReader	rd = {str, str, "sequence_state",
	"{\"v\":1,\"pattern\":\"(?1).*(?2)\",\"conditions\":N,\"events\":[[unix_microseconds,condition_mask],...]}"};
	SeqState   *s;
	char		pat[SEQ_MAX_PATTERN + 1];
	int			nconds;
	SeqPattern	compiled;
	char	   *events;
	int			n;

	lc_expect_version(&rd, SEQ_VERSION);
	lc_expect(&rd, "\"pattern\"");
	lc_expect(&rd, ":");
	lc_parse_string(&rd, pat, sizeof(pat), "a pattern");
	lc_expect(&rd, ",");
	lc_expect(&rd, "\"conditions\"");
	lc_expect(&rd, ":");
	nconds = (int) lc_parse_int(&rd, 1, SEQ_MAX_CONDS, "a number of conditions");
	ParsePattern(pat, strlen(pat), nconds, &compiled);
	lc_expect(&rd, ",");
	lc_expect(&rd, "\"events\"");
	lc_expect(&rd, ":");
	events = lc_events_read(&rd, nconds, false, SEQ_MAX_EVENTS, "a condition mask",
							"event timestamp out of range or condition mask invalid", &n);
	lc_expect(&rd, "}");
	lc_expect_end(&rd);
	s = SeqAlloc(pat, strlen(pat), nconds, n);
	memcpy(SEQ_EVENTS(s), events, (Size) n * SEQ_EVENT_SIZE);
	s->nevents = n;
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(lifecycle_sequence_out);

/*
 * lifecycle_sequence_out - canonical text form.
 */
Datum
lifecycle_sequence_out(PG_FUNCTION_ARGS)
{
	SeqState   *s = SeqCheck(PG_GETARG_SEQ_P(0));
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"v\":%d,\"pattern\":\"%.*s\",\"conditions\":%d,\"events\":",
					 SEQ_VERSION, (int) s->patlen, s->data, s->nconds);
	lc_events_write(&buf, SEQ_EVENTS(s), s->nevents);
	appendStringInfoChar(&buf, '}');
	PG_RETURN_CSTRING(buf.data);
}

PG_FUNCTION_INFO_V1(lifecycle_sequence_send);

/*
 * lifecycle_sequence_send - binary output.
 */
Datum
lifecycle_sequence_send(PG_FUNCTION_ARGS)
{
	SeqState   *s = SeqCheck(PG_GETARG_SEQ_P(0));
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, SEQ_VERSION);
	pq_sendbyte(&buf, s->nconds);
	pq_sendint16(&buf, s->patlen);
	pq_sendbytes(&buf, s->data, s->patlen);
	lc_events_send(&buf, SEQ_EVENTS(s), s->nevents);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(lifecycle_sequence_recv);

/*
 * lifecycle_sequence_recv - binary input, validated; trailing bytes are
 * rejected.
 */
Datum
lifecycle_sequence_recv(PG_FUNCTION_ARGS)
{
	StringInfo	msg = (StringInfo) PG_GETARG_POINTER(0);
	SeqState   *s;
	int			version;
	int			nconds;
	int			patlen;
	const char *pat;
	int			n;
	char	   *events;
	SeqPattern	compiled;

	lc_recv_need(msg, 1 + 1 + 2, "sequence_state");
	version = pq_getmsgbyte(msg);
	if (version != SEQ_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported sequence_state binary version %d", version)));
	nconds = pq_getmsgbyte(msg);
	patlen = pq_getmsgint(msg, 2);
	if (nconds < 1 || nconds > SEQ_MAX_CONDS || patlen > SEQ_MAX_PATTERN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid sequence_state parameters in binary input")));
	lc_recv_need(msg, patlen, "sequence_state");
	pat = pq_getmsgbytes(msg, patlen);
	for (int i = 0; i < patlen; i++)
		if (pat[i] == '\0' || pat[i] == '"' || pat[i] == '\\')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid sequence_state pattern in binary input")));
	pattern_errcode = ERRCODE_INVALID_BINARY_REPRESENTATION;
	PG_TRY();
	{
		ParsePattern(pat, patlen, nconds, &compiled);
	}
	PG_FINALLY();
	{
		pattern_errcode = ERRCODE_INVALID_TEXT_REPRESENTATION;
	}
	PG_END_TRY();
	events = lc_events_recv(msg, nconds, false, SEQ_MAX_EVENTS, "sequence_state", NULL, &n);
	s = SeqAlloc(pat, patlen, nconds, n);
	memcpy(SEQ_EVENTS(s), events, (Size) n * SEQ_EVENT_SIZE);
	s->nevents = n;
	pq_getmsgend(msg);
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(lifecycle_sequence_state_final);

/*
 * lifecycle_sequence_state_final - sequence_state_agg: the state without
 * spare capacity.
 */
Datum
lifecycle_sequence_state_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_POINTER(Trimmed(SeqCheck(PG_GETARG_SEQ_P(0))));
}

PG_FUNCTION_INFO_V1(lifecycle_sequence_state_count);

/*
 * lifecycle_sequence_state_count - sequence_count(state).
 */
Datum
lifecycle_sequence_state_count(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(SeqCount(SeqCheck(PG_GETARG_SEQ_P(0)), false));
}
