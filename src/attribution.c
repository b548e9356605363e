/*-------------------------------------------------------------------------
 *
 * attribution.c
 *	  Multi-touch attribution: credit each conversion of a customer to the
 *	  touches (channel, time) before it, with the first_touch, last_touch,
 *	  linear, position_based (40/20/40) and time_decay models and a
 *	  lookback window.
 *
 * attribution(ts, channel, is_conversion, model, lookback [, half_life])
 * is a per-customer aggregate returning attribution_credit[] (channel,
 * credit): one element per channel, channels in name order, a NULL channel
 * for conversions without any touch in the lookback window.  The credits
 * of a customer sum to their number of conversions, so across customers
 * the natural roll-up is plain SQL:
 *
 *	  SELECT c.channel, sum(c.credit) FROM (SELECT attribution(...) a FROM
 *	  events GROUP BY customer_id) x, unnest(a) c GROUP BY 1;
 *
 * A row is a touch when its channel is not NULL and it is not a
 * conversion; a conversion (is_conversion true) at time T is credited to
 * the touches with T - lookback <= ts <= T (a touch at the same instant
 * counts as before it).  Touches are ordered by time, then channel name,
 * so ties are deterministic.  The state (touch_state) keeps the events
 * (16 bytes each) and the distinct channel names of the group, collected
 * in any order and sorted in the final function: O(n log n) plus O(n)
 * for the touches of each conversion's window.
 *
 *-------------------------------------------------------------------------
 */
#include "lifecycle.h"

#include <ctype.h>
#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#define TOUCH_VERSION		1
#define TOUCH_MAX_EVENTS	(32 * 1024 * 1024)
#define TOUCH_MAX_NAMES		(64 * 1024 * 1024)	/* bytes of channel names */
#define TOUCH_MAX_NAME		1000	/* bytes per channel name */

#define AM_FIRST		0
#define AM_LAST			1
#define AM_LINEAR		2
#define AM_POSITION		3
#define AM_DECAY		4

static const char *const model_names[] = {
	"first_touch", "last_touch", "linear", "position_based", "time_decay"
};

typedef struct TouchEvent
{
	int64		ts;
	int32		channel;		/* offset of the name in the name area; -1: conversion */
	int32		reserved;
} TouchEvent;

typedef struct TouchState
{
	int32		vl_len_;
	uint8		version;
	uint8		model;			/* AM_* */
	uint8		reserved[2];
	int32		n;				/* events */
	int32		capacity;		/* events allocated */
	int32		names_len;		/* bytes of names in use */
	int32		names_cap;		/* bytes of names allocated */
	int32		reserved2;
	int64		lookback;		/* microseconds >= 0 */
	int64		half_life;		/* microseconds > 0 (time_decay), else 0 */
	TouchEvent	ev[FLEXIBLE_ARRAY_MEMBER];
	/* then names_cap bytes of NUL-terminated channel names */
} TouchState;

#define TOUCH_HDRSZ			offsetof(TouchState, ev)
#define TOUCH_SIZE(cap, ncap) (TOUCH_HDRSZ + (Size) (cap) * sizeof(TouchEvent) + (Size) (ncap))
#define TOUCH_NAMES(s)		((char *) &(s)->ev[(s)->capacity])

static const char *const touch_form =
"{\"v\":1,\"model\":\"<model>\",\"lookback\":<microseconds>,\"half_life\":<microseconds>,"
"\"events\":[[<microseconds>,\"<channel>\"|null],...]}  (null: a conversion)";

/*
 * TouchInterval - an interval argument in microseconds (no months, >= 0).
 */
static int64
TouchInterval(Interval *iv, const char *what)
{
	int64		us;

	if (iv->month != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("attribution %s must not contain months or years", what),
				 errhint("Write it in days or smaller units, e.g. '30 days'.")));
	if (pg_mul_s64_overflow((int64) iv->day, USECS_PER_DAY, &us) ||
		pg_add_s64_overflow(us, iv->time, &us))
		ereport(ERROR,
				(errcode(ERRCODE_INTERVAL_FIELD_OVERFLOW),
				 errmsg("attribution %s is out of range", what),
				 errhint("Use an interval shorter than 100 million days.")));
	if (us < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("attribution %s must not be negative", what),
				 errhint("Pass an interval such as '30 days'.")));
	return us;
}

/*
 * TouchModel - the model number of a model name.
 */
static int
TouchModel(const char *name)
{
	for (int i = 0; i < (int) lengthof(model_names); i++)
		if (strcmp(name, model_names[i]) == 0)
			return i;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown attribution model \"%s\"", name),
			 errhint("Models are first_touch, last_touch, linear, position_based and time_decay.")));
	return -1;					/* keep the compiler quiet */
}

/*
 * TouchCheck - validate a state read from outside.
 */
static TouchState *
TouchCheck(TouchState *st)
{
	if (VARSIZE(st) < TOUCH_HDRSZ || st->version != TOUCH_VERSION ||
		st->model > AM_DECAY || st->n < 0 || st->capacity < st->n ||
		st->names_len < 0 || st->names_cap < st->names_len ||
		VARSIZE(st) != TOUCH_SIZE(st->capacity, st->names_cap) ||
		st->lookback < 0 || st->half_life < 0 ||
		(st->model == AM_DECAY) != (st->half_life > 0) ||
		(st->names_len > 0 && TOUCH_NAMES(st)[st->names_len - 1] != '\0'))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("corrupt touch_state value"),
				 errhint("Rebuild the value from the events.")));
	for (int i = 0; i < st->n; i++)
		if (st->ev[i].channel < -1 || st->ev[i].channel >= st->names_len ||
			(st->ev[i].channel > 0 && TOUCH_NAMES(st)[st->ev[i].channel - 1] != '\0'))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("corrupt touch_state value"),
					 errhint("Rebuild the value from the events.")));
	return st;
}

#define PG_GETARG_TOUCH_P(n) TouchCheck((TouchState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(n)))

/*
 * TouchAlloc - an empty state with room for cap events and ncap name bytes.
 */
static TouchState *
TouchAlloc(int model, int64 lookback, int64 half_life, int cap, int ncap)
{
	TouchState *st = palloc0(TOUCH_SIZE(cap, ncap));

	SET_VARSIZE(st, TOUCH_SIZE(cap, ncap));
	st->version = TOUCH_VERSION;
	st->model = model;
	st->capacity = cap;
	st->names_cap = ncap;
	st->lookback = lookback;
	st->half_life = half_life;
	return st;
}

/*
 * TouchReserve - room for extra events and extra_names name bytes
 * (capacities double; inside an aggregate the executor frees the old).
 */
static TouchState *
TouchReserve(TouchState *st, int64 extra, int64 extra_names)
{
	int64		need = (int64) st->n + extra;
	int64		nneed = (int64) st->names_len + extra_names;
	int64		cap = st->capacity,
				ncap = st->names_cap;
	TouchState *nst;

	if (need <= cap && nneed <= ncap)
		return st;
	if (need > TOUCH_MAX_EVENTS || nneed > TOUCH_MAX_NAMES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("attribution holds at most %d events and %d bytes of channel names per group",
						TOUCH_MAX_EVENTS, TOUCH_MAX_NAMES),
				 errhint("Filter the touches, or split the group.")));
	if (need > cap)
		cap = Max(Max(need, Min(cap * 2, (int64) TOUCH_MAX_EVENTS)), 8);
	if (nneed > ncap)
		ncap = Max(Max(nneed, Min(ncap * 2, (int64) TOUCH_MAX_NAMES)), 64);
	nst = TouchAlloc(st->model, st->lookback, st->half_life, (int) cap, (int) ncap);
	nst->n = st->n;
	nst->names_len = st->names_len;
	memcpy(nst->ev, st->ev, sizeof(TouchEvent) * st->n);
	memcpy(TOUCH_NAMES(nst), TOUCH_NAMES(st), st->names_len);
	return nst;
}

/*
 * TouchChannel - the offset of name in st's name area, adding it if new
 * (st may move).  hint is the offset tried first.
 */
static int32
TouchChannel(TouchState **stp, const char *name, int len, int32 hint)
{
	TouchState *st = *stp;
	const char *names = TOUCH_NAMES(st);
	int32		off;

	if (len > TOUCH_MAX_NAME)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("attribution channel names are at most %d bytes", TOUCH_MAX_NAME),
				 errhint("Use shorter channel names.")));
	if (memchr(name, '\0', len) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("attribution channel names must not contain zero bytes")));
	if (hint >= 0 && hint < st->names_len &&
		strncmp(names + hint, name, len) == 0 && names[hint + len] == '\0')
		return hint;
	for (off = 0; off < st->names_len; off += strlen(names + off) + 1)
		if (strncmp(names + off, name, len) == 0 && names[off + len] == '\0')
			return off;
	st = TouchReserve(st, 0, len + 1);
	off = st->names_len;
	memcpy(TOUCH_NAMES(st) + off, name, len);
	TOUCH_NAMES(st)[off + len] = '\0';
	st->names_len += len + 1;
	*stp = st;
	return off;
}

/*
 * TouchAdd - append one event.
 */
static TouchState *
TouchAdd(TouchState *st, int64 ts, int32 channel)
{
	st = TouchReserve(st, 1, 0);
	st->ev[st->n].ts = ts;
	st->ev[st->n].channel = channel;
	st->ev[st->n].reserved = 0;
	st->n++;
	return st;
}

PG_FUNCTION_INFO_V1(lifecycle_touch_trans);

/*
 * lifecycle_touch_trans - (state, ts, channel, is_conversion, model,
 * lookback [, half_life]).  Parameters are read on a group's first row.
 */
Datum
lifecycle_touch_trans(PG_FUNCTION_ARGS)
{
	TouchState *st;
	Timestamp	ts;
	bool		conv;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "attribution transition function called in non-aggregate context");
	if (PG_ARGISNULL(0))
	{
		int			model;
		int64		half = 0;

		if (PG_ARGISNULL(4) || PG_ARGISNULL(5) || (PG_NARGS() > 6 && PG_ARGISNULL(6)))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("attribution model, lookback and half_life must not be NULL"),
					 errhint("Pass e.g. 'linear', '30 days' (and a half_life such as '7 days' for time_decay).")));
		model = TouchModel(text_to_cstring(PG_GETARG_TEXT_PP(4)));
		if (PG_NARGS() > 6)
			half = TouchInterval(PG_GETARG_INTERVAL_P(6), "half_life");
		if (model == AM_DECAY && half <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("time_decay attribution needs a positive half_life"),
					 errhint("Pass a half_life such as '7 days' as the sixth argument.")));
		if (model != AM_DECAY && PG_NARGS() > 6)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("half_life applies to the time_decay model only, not %s", model_names[model]),
					 errhint("Drop the half_life argument, or use 'time_decay'.")));
		st = TouchAlloc(model, TouchInterval(PG_GETARG_INTERVAL_P(5), "lookback"), half, 8, 64);
	}
	else
	{
		st = (TouchState *) PG_GETARG_POINTER(0);
		if (VARATT_IS_EXTENDED(st))
		{
			TouchState *cp = (TouchState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
			TouchState *mine = palloc(VARSIZE(cp));

			memcpy(mine, cp, VARSIZE(cp));
			st = TouchCheck(mine);
		}
	}
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(st);
	ts = PG_GETARG_TIMESTAMPTZ(1);
	if (TIMESTAMP_NOT_FINITE(ts))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("attribution timestamp must be finite"),
				 errhint("Filter out infinite timestamps, or pass NULL to ignore the row.")));
	conv = !PG_ARGISNULL(3) && PG_GETARG_BOOL(3);
	if (conv)
		st = TouchAdd(st, ts, -1);
	else if (!PG_ARGISNULL(2))
	{
		text	   *ch = PG_GETARG_TEXT_PP(2);
		int32		hint = st->n > 0 ? st->ev[st->n - 1].channel : -1;
		int32		off = TouchChannel(&st, VARDATA_ANY(ch), VARSIZE_ANY_EXHDR(ch), hint);

		st = TouchAdd(st, ts, off);
	}
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(lifecycle_touch_merge);

/*
 * lifecycle_touch_merge - combine: the union of two event lists with the
 * same model and windows.
 */
Datum
lifecycle_touch_merge(PG_FUNCTION_ARGS)
{
	TouchState *b = PG_GETARG_TOUCH_P(1);
	TouchState *a = (TouchState *) PG_GETARG_POINTER(0);
	const char *bn = TOUCH_NAMES(b);

	if (VARATT_IS_EXTENDED(a) || !AggCheckCallContext(fcinfo, NULL))
	{
		TouchState *cp = (TouchState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
		TouchState *mine = palloc(VARSIZE(cp));

		memcpy(mine, cp, VARSIZE(cp));
		a = mine;
	}
	a = TouchCheck(a);
	if (a->model != b->model || a->lookback != b->lookback || a->half_life != b->half_life)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine attribution states with different models or windows"),
				 errhint("Pass the same model, lookback and half_life in every part of the aggregate.")));
	a = TouchReserve(a, b->n, 0);
	for (int i = 0; i < b->n; i++)
	{
		int32		off = -1;

		if (b->ev[i].channel >= 0)
		{
			const char *name = bn + b->ev[i].channel;

			off = TouchChannel(&a, name, strlen(name), -1);
		}
		a = TouchAdd(a, b->ev[i].ts, off);
	}
	PG_RETURN_POINTER(a);
}

/* sort context: events by time, conversions after touches, then channel name */
static const char *sort_names;

/*
 * TouchCompare - qsort order of events.
 */
static int
TouchCompare(const void *pa, const void *pb)
{
	const TouchEvent *x = pa;
	const TouchEvent *y = pb;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if ((x->channel < 0) != (y->channel < 0))
		return x->channel < 0 ? 1 : -1;
	if (x->channel < 0)
		return 0;
	return strcmp(sort_names + x->channel, sort_names + y->channel);
}

/*
 * TouchSorted - a sorted copy of the events.
 */
static TouchEvent *
TouchSorted(const TouchState *st)
{
	TouchEvent *ev = palloc(sizeof(TouchEvent) * Max(st->n, 1));

	memcpy(ev, st->ev, sizeof(TouchEvent) * st->n);
	sort_names = TOUCH_NAMES(st);
	qsort(ev, st->n, sizeof(TouchEvent), TouchCompare);
	return ev;
}

/*
 * NameCompare - qsort order of name offsets by name.
 */
static int
NameCompare(const void *pa, const void *pb)
{
	return strcmp(sort_names + *(const int32 *) pa, sort_names + *(const int32 *) pb);
}

PG_FUNCTION_INFO_V1(lifecycle_touch_final);

/*
 * lifecycle_touch_final - attribution_credit[] (channel, credit), channels
 * in name order, then NULL for unattributed conversions; NULL when the
 * group has no conversion.
 */
Datum
lifecycle_touch_final(PG_FUNCTION_ARGS)
{
	TouchState *st;
	TouchEvent *ev;
	const char *names;
	int			nnames = 0;
	int32	   *offs;
	double	   *credit;
	double		unattributed = 0;
	int64		conversions = 0;
	int			lo = 0;			/* first touch possibly inside a window */
	int			hi = 0;			/* touches [0, hi) are at or before T */
	double	   *w;
	Oid			rettype = get_fn_expr_rettype(fcinfo->flinfo);
	Oid			elemtype = get_element_type(rettype);
	TupleDesc	td;
	Datum	   *elems;
	int			nelems = 0;
	int16		elmlen;
	bool		elmbyval;
	char		elmalign;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = PG_GETARG_TOUCH_P(0);
	ev = TouchSorted(st);
	names = TOUCH_NAMES(st);

	/* channel index: name offset -> slot, in name order */
	offs = palloc(sizeof(int32) * (st->names_len + 1));
	for (int off = 0; off < st->names_len; off += strlen(names + off) + 1)
		offs[nnames++] = off;
	sort_names = names;
	qsort(offs, nnames, sizeof(int32), NameCompare);
	credit = palloc0(sizeof(double) * (nnames + 1));
	w = palloc(sizeof(double) * Max(st->n, 1));

	/* touches only, in order, and conversions walked alongside */
	{
		TouchEvent *touch = palloc(sizeof(TouchEvent) * Max(st->n, 1));
		int32	   *slot = palloc(sizeof(int32) * Max(st->n, 1));
		int			nt = 0;

		for (int i = 0; i < st->n; i++)
			if (ev[i].channel >= 0)
			{
				int			a = 0,
							b = nnames - 1;

				/* binary search of the name's slot */
				while (a < b)
				{
					int			m = (a + b) / 2;

					if (strcmp(names + offs[m], names + ev[i].channel) < 0)
						a = m + 1;
					else
						b = m;
				}
				slot[nt] = a;
				touch[nt++] = ev[i];
			}
		for (int i = 0; i < st->n; i++)
		{
			int64		T = ev[i].ts;
			int			k;

			if (ev[i].channel >= 0)
				continue;
			conversions++;
			while (hi < nt && touch[hi].ts <= T)
				hi++;
			while (lo < hi && (uint64) T - (uint64) touch[lo].ts > (uint64) st->lookback)
				lo++;
			k = hi - lo;
			if (k == 0)
			{
				unattributed += 1.0;
				continue;
			}
			switch (st->model)
			{
				case AM_FIRST:
					credit[slot[lo]] += 1.0;
					break;
				case AM_LAST:
					credit[slot[hi - 1]] += 1.0;
					break;
				case AM_LINEAR:
					for (int j = lo; j < hi; j++)
						credit[slot[j]] += 1.0 / k;
					break;
				case AM_POSITION:
					if (k == 1)
						credit[slot[lo]] += 1.0;
					else if (k == 2)
					{
						credit[slot[lo]] += 0.5;
						credit[slot[hi - 1]] += 0.5;
					}
					else
					{
						credit[slot[lo]] += 0.4;
						credit[slot[hi - 1]] += 0.4;
						for (int j = lo + 1; j < hi - 1; j++)
							credit[slot[j]] += 0.2 / (k - 2);
					}
					break;
				default:
					{
						/* weights 2^(-age / half_life), relative to the newest touch */
						double		sum = 0;
						int64		newest = T - touch[hi - 1].ts;

						for (int j = lo; j < hi; j++)
						{
							w[j] = exp2(-((double) (T - touch[j].ts - newest)) / (double) st->half_life);
							sum += w[j];
						}
						for (int j = lo; j < hi; j++)
							credit[slot[j]] += w[j] / sum;
					}
					break;
			}
		}
	}
	if (conversions == 0)
		PG_RETURN_NULL();

	/* build the array of (channel, credit) */
	td = lookup_rowtype_tupdesc_copy(elemtype, -1);
	BlessTupleDesc(td);
	elems = palloc(sizeof(Datum) * (nnames + 1));
	for (int j = 0; j <= nnames; j++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		if (j < nnames && credit[j] == 0)
			continue;
		if (j == nnames && unattributed == 0)
			continue;
		if (j < nnames)
			values[0] = CStringGetTextDatum(names + offs[j]);
		else
			nulls[0] = true;
		values[1] = Float8GetDatum(j < nnames ? credit[j] : unattributed);
		elems[nelems++] = HeapTupleGetDatum(heap_form_tuple(td, values, nulls));
	}
	get_typlenbyvalalign(elemtype, &elmlen, &elmbyval, &elmalign);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, nelems, elemtype, elmlen, elmbyval, elmalign));
}

/* ----------------------------------------------------------------
 * touch_state text and binary forms
 * ----------------------------------------------------------------
 */

/*
 * AppendJsonString - name as a JSON string.
 */
static void
AppendJsonString(StringInfo buf, const char *name)
{
	appendStringInfoChar(buf, '"');
	for (const unsigned char *p = (const unsigned char *) name; *p; p++)
	{
		if (*p == '"' || *p == '\\')
			appendStringInfo(buf, "\\%c", *p);
		else if (*p < 0x20)
			appendStringInfo(buf, "\\u%04x", *p);
		else
			appendStringInfoChar(buf, *p);
	}
	appendStringInfoChar(buf, '"');
}

/*
 * ParseJsonString - a JSON string with the escapes AppendJsonString
 * writes (\" \\ \u00XX); returns a palloc'd string and its length.
 */
static char *
ParseJsonString(LcReader *rd, int *len)
{
	StringInfoData buf;

	lc_expect(rd, "\"");
	initStringInfo(&buf);
	for (;;)
	{
		unsigned char c = (unsigned char) *rd->p;

		if (c == '\0' || c < 0x20)
			lc_parse_error(rd, "a closing '\"'");
		rd->p++;
		if (c == '"')
			break;
		if (c == '\\')
		{
			if (*rd->p == '"' || *rd->p == '\\')
				appendStringInfoChar(&buf, *rd->p++);
			else if (rd->p[0] == 'u' && rd->p[1] == '0' && rd->p[2] == '0' &&
					 strchr("01", rd->p[3]) && rd->p[3] != '\0' &&
					 isxdigit((unsigned char) rd->p[4]) && rd->p[4] != '\0')
			{
				int			v = (rd->p[3] - '0') * 16 +
					(isdigit((unsigned char) rd->p[4]) ? rd->p[4] - '0' : (tolower((unsigned char) rd->p[4]) - 'a' + 10));

				if (v == 0)
					lc_parse_error(rd, "a non-zero character");
				appendStringInfoChar(&buf, (char) v);
				rd->p += 5;
			}
			else
				lc_parse_error(rd, "an escape \\\" \\\\ or \\u00XX");
		}
		else
			appendStringInfoChar(&buf, (char) c);
	}
	*len = buf.len;
	return buf.data;
}

PG_FUNCTION_INFO_V1(lifecycle_touch_in);

/*
 * lifecycle_touch_in - read the canonical text form.
 */
Datum
lifecycle_touch_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	LcReader	rd = {str, str, "touch_state", touch_form};
	const char *pos;
	char		name[32];
	int			model = -1;
	int64		lookback,
				half;
	TouchState *st;

	lc_expect_version(&rd, TOUCH_VERSION);
	lc_expect(&rd, "\"model\"");
	lc_expect(&rd, ":");
	lc_skip_space(&rd);
	pos = rd.p;
	lc_parse_string(&rd, name, sizeof(name), "a model name");
	for (int i = 0; i < (int) lengthof(model_names); i++)
		if (strcmp(name, model_names[i]) == 0)
			model = i;
	if (model < 0)
		lc_value_error(&rd, pos, "unknown model");
	lc_expect(&rd, ",");
	lc_expect(&rd, "\"lookback\"");
	lc_expect(&rd, ":");
	lookback = lc_parse_int(&rd, 0, PG_INT64_MAX, "a lookback in microseconds");
	lc_expect(&rd, ",");
	lc_expect(&rd, "\"half_life\"");
	lc_expect(&rd, ":");
	lc_skip_space(&rd);
	pos = rd.p;
	half = lc_parse_int(&rd, 0, PG_INT64_MAX, "a half-life in microseconds");
	if ((model == AM_DECAY) != (half > 0))
		lc_value_error(&rd, pos, "half_life must be positive for time_decay and 0 otherwise");
	lc_expect(&rd, ",");
	lc_expect(&rd, "\"events\"");
	lc_expect(&rd, ":");
	lc_expect(&rd, "[");
	st = TouchAlloc(model, lookback, half, 8, 64);
	if (!lc_accept(&rd, "]"))
	{
		TouchEvent	prev = {0};

		do
		{
			int64		ts;
			int32		off = -1;

			lc_expect(&rd, "[");
			lc_skip_space(&rd);
			pos = rd.p;
			ts = lc_parse_int(&rd, MIN_TIMESTAMP, END_TIMESTAMP - 1, "a time in microseconds");
			lc_expect(&rd, ",");
			lc_skip_space(&rd);
			if (!lc_accept(&rd, "null"))
			{
				int			len;
				char	   *ch = ParseJsonString(&rd, &len);

				off = TouchChannel(&st, ch, len, -1);
			}
			lc_expect(&rd, "]");
			st = TouchAdd(st, ts, off);
			sort_names = TOUCH_NAMES(st);
			if (st->n > 1 && TouchCompare(&prev, &st->ev[st->n - 1]) > 0)
				lc_value_error(&rd, pos, "events not in canonical order");
			prev = st->ev[st->n - 1];
		} while (lc_accept(&rd, ","));
		lc_expect(&rd, "]");
	}
	lc_expect(&rd, "}");
	lc_expect_end(&rd);
	PG_RETURN_POINTER(st);
}

PG_FUNCTION_INFO_V1(lifecycle_touch_out);

/*
 * lifecycle_touch_out - the canonical text form (events sorted).
 */
Datum
lifecycle_touch_out(PG_FUNCTION_ARGS)
{
	TouchState *st = PG_GETARG_TOUCH_P(0);
	TouchEvent *ev = TouchSorted(st);
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"v\":%d,\"model\":\"%s\",\"lookback\":" INT64_FORMAT
					 ",\"half_life\":" INT64_FORMAT ",\"events\":[",
					 TOUCH_VERSION, model_names[st->model], st->lookback, st->half_life);
	for (int i = 0; i < st->n; i++)
	{
		appendStringInfo(&buf, "%s[" INT64_FORMAT ",", i ? "," : "", ev[i].ts);
		if (ev[i].channel < 0)
			appendStringInfoString(&buf, "null");
		else
			AppendJsonString(&buf, TOUCH_NAMES(st) + ev[i].channel);
		appendStringInfoChar(&buf, ']');
	}
	appendStringInfoString(&buf, "]}");
	PG_RETURN_CSTRING(buf.data);
}

PG_FUNCTION_INFO_V1(lifecycle_touch_send);

/*
 * lifecycle_touch_send - binary form: version, model (bytes), lookback,
 * half_life (int64), count (int32), then per event in canonical order: ts
 * (int64), name length (int32, -1 for a conversion) and the name bytes.
 */
Datum
lifecycle_touch_send(PG_FUNCTION_ARGS)
{
	TouchState *st = PG_GETARG_TOUCH_P(0);
	TouchEvent *ev = TouchSorted(st);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, TOUCH_VERSION);
	pq_sendbyte(&buf, st->model);
	pq_sendint64(&buf, st->lookback);
	pq_sendint64(&buf, st->half_life);
	pq_sendint32(&buf, st->n);
	for (int i = 0; i < st->n; i++)
	{
		pq_sendint64(&buf, ev[i].ts);
		if (ev[i].channel < 0)
			pq_sendint32(&buf, -1);
		else
		{
			const char *name = TOUCH_NAMES(st) + ev[i].channel;
			int			len = strlen(name);

			pq_sendint32(&buf, len);
			pq_sendbytes(&buf, name, len);
		}
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * TouchRecvError - report a malformed binary value.
 */
static void
TouchRecvError(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid binary touch_state: %s", what),
			 errhint("Send a value produced by touch_state's send function.")));
}

PG_FUNCTION_INFO_V1(lifecycle_touch_recv);

/*
 * lifecycle_touch_recv - read the binary form, checking every length
 * against the remaining bytes before using it.
 */
Datum
lifecycle_touch_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			version,
				model;
	int64		lookback,
				half;
	int32		n;
	TouchState *st;
	TouchEvent	prev = {0};

	if (buf->len - buf->cursor < 2 + 8 + 8 + 4)
		TouchRecvError("too short");
	version = pq_getmsgbyte(buf);
	model = pq_getmsgbyte(buf);
	lookback = pq_getmsgint64(buf);
	half = pq_getmsgint64(buf);
	n = pq_getmsgint(buf, 4);
	if (version != TOUCH_VERSION)
		TouchRecvError("unsupported version");
	if (model > AM_DECAY)
		TouchRecvError("unknown model");
	if (lookback < 0 || half < 0 || (model == AM_DECAY) != (half > 0))
		TouchRecvError("windows out of range");
	if (n < 0 || n > TOUCH_MAX_EVENTS || (int64) n * 12 > buf->len - buf->cursor)
		TouchRecvError("event count does not match the length");
	st = TouchAlloc(model, lookback, half, Max(n, 1), 64);
	for (int i = 0; i < n; i++)
	{
		int64		ts;
		int32		len,
					off = -1;

		if (buf->len - buf->cursor < 12)
			TouchRecvError("truncated event");
		ts = pq_getmsgint64(buf);
		len = pq_getmsgint(buf, 4);
		if (ts < MIN_TIMESTAMP || ts >= END_TIMESTAMP)
			TouchRecvError("time out of range");
		if (len < -1 || len > TOUCH_MAX_NAME || len > buf->len - buf->cursor)
			TouchRecvError("channel name length out of range");
		if (len >= 0)
		{
			const char *name = pq_getmsgbytes(buf, len);

			if (memchr(name, '\0', len) != NULL)
				TouchRecvError("channel name contains a zero byte");
			off = TouchChannel(&st, name, len, -1);
		}
		st = TouchAdd(st, ts, off);
		sort_names = TOUCH_NAMES(st);
		if (i > 0 && TouchCompare(&prev, &st->ev[st->n - 1]) > 0)
			TouchRecvError("events not in canonical order");
		prev = st->ev[st->n - 1];
	}
	if (buf->cursor != buf->len)
		TouchRecvError("trailing bytes");
	pq_getmsgend(buf);
	PG_RETURN_POINTER(st);
}
