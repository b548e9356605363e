/*-------------------------------------------------------------------------
 *
 * retention.c
 *	  Cohort retention: the cohort_retention aggregate over customer
 *	  profiles, its retention_curve type, rollup across cohorts and the
 *	  table/array accessors.
 *
 * Every customer of a cohort starts at day s: the first purchase, or an
 * anchor such as the signup date.  Offsets count periods from s: calendar
 * periods (day, week, month, quarter, year; offset k is the k-th calendar
 * period after the one containing s) or rolling blocks of N days (offset k
 * covers days s + kN .. s + (k+1)N - 1).  Only purchases on or before
 * as_of count, and a customer is eligible for offset k only when the whole
 * period k has elapsed by as_of (censoring): someone who joined last month
 * is not a 0 in month 6, they are not in month 6's denominator at all.
 *
 * The state keeps, per offset k:
 *	  horizon      customers whose last complete offset is k
 *	  horizon_rev  the period-0 revenue of those customers
 *	  reach        customers whose last active offset, capped at their last
 *				   complete offset, is k
 *	  active       eligible customers active in offset k
 *	  revenue      their revenue in offset k
 * so that one customer costs O(purchase days), not O(offsets): eligible
 * counts, base revenues and "active in k or later" are suffix sums of
 * horizon, horizon_rev and reach, computed by the accessors.  All of it
 * adds up across customers and cohorts, which makes the combine function
 * and rollup() plain element-wise sums.
 *
 *-------------------------------------------------------------------------
 */
#include "lifecycle.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"

#define RETENTION_VERSION	1

/* period units as stored (never renumber: they are on disk) */
#define RU_ROLLING		0
#define RU_DAY			LC_UNIT_DAY
#define RU_WEEK			LC_UNIT_WEEK
#define RU_MONTH		LC_UNIT_MONTH
#define RU_QUARTER		LC_UNIT_QUARTER
#define RU_YEAR			LC_UNIT_YEAR

/* largest offset a curve may hold: every day of 1,000 years */
#define RETENTION_MAX_PERIODS	366000

typedef struct RetentionCell
{
	int64		horizon;
	int64		reach;
	int64		active;
	float8		horizon_rev;
	float8		revenue;
} RetentionCell;

struct RetentionData
{
	int32		vl_len_;		/* varlena header */
	uint8		version;		/* RETENTION_VERSION */
	uint8		unit;			/* RU_* */
	uint16		reserved;		/* always 0 */
	int32		block_days;		/* rolling block length; 0 for calendar */
	int32		nperiods;		/* offsets in use */
	int32		capacity;		/* offsets allocated */
	int64		customers;		/* cohort size (started on or before as_of) */
	RetentionCell cells[FLEXIBLE_ARRAY_MEMBER];
};

#define RETENTION_HDRSZ		offsetof(RetentionData, cells)
#define RETENTION_SIZE(cap)	(RETENTION_HDRSZ + (Size) (cap) * sizeof(RetentionCell))

#define PG_GETARG_RETENTION_P(n) ((RetentionData *) PG_DETOAST_DATUM(PG_GETARG_DATUM(n)))

/* a parsed period: unit plus block length for rolling windows */
typedef struct RetentionPeriod
{
	int			unit;
	int32		block_days;
} RetentionPeriod;

/*
 * RetentionAlloc - a zeroed curve with room for capacity offsets.
 */
static RetentionData *
RetentionAlloc(int capacity, const RetentionPeriod *per)
{
	RetentionData *r = palloc0(RETENTION_SIZE(capacity));

	SET_VARSIZE(r, RETENTION_SIZE(capacity));
	r->version = RETENTION_VERSION;
	r->unit = (uint8) per->unit;
	r->block_days = per->block_days;
	r->capacity = capacity;
	return r;
}

/*
 * RetentionEnsure - make room for offsets [0, need); returns the (maybe
 * new) curve.  Growth is geometric; the copy is made in the current memory
 * context and nodeAgg moves it into the aggregate context.
 */
static RetentionData *
RetentionEnsure(RetentionData *r, int need)
{
	RetentionData *n;
	RetentionPeriod per;
	int			cap;

	if (need <= r->capacity)
	{
		if (need > r->nperiods)
			r->nperiods = need;
		return r;
	}
	if (need > RETENTION_MAX_PERIODS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("retention curve would exceed %d periods",
						RETENTION_MAX_PERIODS),
				 errhint("Use a longer period.")));
	cap = Max(need, Min(r->capacity * 2, RETENTION_MAX_PERIODS));
	per.unit = r->unit;
	per.block_days = r->block_days;
	n = RetentionAlloc(cap, &per);
	n->customers = r->customers;
	n->nperiods = need;
	memcpy(n->cells, r->cells, sizeof(RetentionCell) * r->nperiods);
	return n;
}

/*
 * RetentionCheck - validate a curve read from disk or the wire.
 */
static RetentionData *
RetentionCheck(RetentionData *r)
{
	if (r->version != RETENTION_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("retention_curve has unknown format version %d",
						r->version)));
	if (r->unit > RU_YEAR || r->nperiods < 0 || r->nperiods > r->capacity ||
		VARSIZE(r) < RETENTION_SIZE(r->capacity))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("retention_curve value is corrupt")));
	return r;
}

/*
 * ParsePeriod - "day", "week", "month", "quarter", "year" (calendar
 * periods) or "<n> days" / "<n> weeks" (rolling blocks of whole days).
 */
static RetentionPeriod
ParsePeriod(const char *s)
{
	RetentionPeriod per = {-1, 0};

	per.unit = lc_parse_period(s, &per.block_days);
	if (per.unit < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown retention period \"%s\"", s),
				 errhint("Use day, week, month, quarter or year for calendar periods, or a number of days or weeks (up to 36600 days) such as '7 days' or '30 days' for rolling windows.")));
	return per;
}

/*
 * PeriodName - the canonical spelling of a curve's period.
 */
static char *
PeriodName(int unit, int32 block_days)
{
	if (unit == RU_ROLLING)
		return psprintf("%d days", block_days);
	return pstrdup(lc_unit_names[unit]);
}

/*
 * PeriodOffset - period offset of day from a customer starting at start_day
 * (start_index is lc_calendar_index(start_day) for calendar periods).
 */
static inline int64
PeriodOffset(const RetentionData *r, int32 day, int32 start_day, int64 start_index)
{
	if (r->unit == RU_ROLLING)
	{
		int64		diff = (int64) day - start_day;

		return diff >= 0 ? diff / r->block_days : -1;
	}
	return lc_calendar_index(day, r->unit) - start_index;
}

/*
 * RetentionAddCustomer - add one customer to the curve; returns the (maybe
 * reallocated) curve.
 */
static RetentionData *
RetentionAddCustomer(RetentionData *r, const ProfileData *p, int32 asof,
					 bool has_anchor, int32 anchor)
{
	int			nd = profile_days_upto(p, asof);
	int32		start;
	int64		start_index = 0;
	int64		kmax;
	int64		last_active = -1;
	int64		prev = -1;
	float8		rev0 = 0;
	int			i;

	if (has_anchor)
		start = anchor;
	else if (nd > 0)
		start = p->days[0].day;
	else
		return r;				/* no purchase by as_of: not in a cohort */
	if (start > asof)
		return r;				/* starts after as_of: not in a cohort yet */

	/* last offset whose period is complete on as_of */
	if (r->unit == RU_ROLLING)
		kmax = ((int64) asof - start + 1) / r->block_days - 1;
	else
	{
		start_index = lc_calendar_index(start, r->unit);
		kmax = lc_calendar_index(asof + 1, r->unit) - start_index - 1;
	}

	r->customers++;
	if (kmax < 0)
		return r;
	if (kmax >= RETENTION_MAX_PERIODS)
		kmax = RETENTION_MAX_PERIODS - 1;
	r = RetentionEnsure(r, (int) kmax + 1);

	for (i = 0; i < nd; i++)
	{
		const ProfileDay *d = &p->days[i];
		int64		k;

		if (d->day < start)
			continue;			/* before the anchor */
		k = PeriodOffset(r, d->day, start, start_index);
		last_active = k;
		if (k == 0)
			rev0 += d->spend;
		if (k > kmax)
			continue;
		if (k != prev)
			r->cells[k].active++;
		r->cells[k].revenue += d->spend;
		prev = k;
	}

	r->cells[kmax].horizon++;
	r->cells[kmax].horizon_rev += rev0;
	if (last_active >= 0)
		r->cells[Min(last_active, kmax)].reach++;
	return r;
}

/*
 * MergeInto - add curve b into a (same period); returns the (maybe
 * reallocated) a.
 */
static RetentionData *
MergeInto(RetentionData *a, const RetentionData *b)
{
	if (a->unit != b->unit || a->block_days != b->block_days)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine retention curves of different periods (%s and %s)",
						PeriodName(a->unit, a->block_days),
						PeriodName(b->unit, b->block_days)),
				 errhint("Build every curve with the same period.")));
	a = RetentionEnsure(a, Max(a->nperiods, b->nperiods));
	a->customers += b->customers;
	for (int k = 0; k < b->nperiods; k++)
	{
		a->cells[k].horizon += b->cells[k].horizon;
		a->cells[k].reach += b->cells[k].reach;
		a->cells[k].active += b->cells[k].active;
		a->cells[k].horizon_rev += b->cells[k].horizon_rev;
		a->cells[k].revenue += b->cells[k].revenue;
	}
	return a;
}

/*
 * StateArg - the transition state in argument 0, or NULL; a value that is
 * not ours to modify (initial or toasted) is copied first.
 */
static RetentionData *
StateArg(FunctionCallInfo fcinfo)
{
	RetentionData *r;

	if (PG_ARGISNULL(0))
		return NULL;
	r = (RetentionData *) PG_GETARG_POINTER(0);
	if (VARATT_IS_EXTENDED(r))
		r = (RetentionData *) PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(0));
	return RetentionCheck(r);
}

/* the last period text a call site parsed, kept in fn_extra */
typedef struct PeriodCache
{
	RetentionPeriod per;
	int			len;
	char		name[FLEXIBLE_ARRAY_MEMBER];
} PeriodCache;

/*
 * CachedPeriod - parse the period argument, reusing the previous result
 * when the text is unchanged (it is the same on every row in practice).
 */
static RetentionPeriod
CachedPeriod(FunctionCallInfo fcinfo, text *t)
{
	PeriodCache *cache = (PeriodCache *) fcinfo->flinfo->fn_extra;
	int			len = VARSIZE_ANY_EXHDR(t);

	if (cache == NULL || cache->len != len ||
		memcmp(cache->name, VARDATA_ANY(t), len) != 0)
	{
		RetentionPeriod per = ParsePeriod(text_to_cstring(t));

		cache = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt,
								   offsetof(PeriodCache, name) + len + 1);
		cache->per = per;
		cache->len = len;
		memcpy(cache->name, VARDATA_ANY(t), len);
		cache->name[len] = '\0';
		fcinfo->flinfo->fn_extra = cache;
	}
	return cache->per;
}

PG_FUNCTION_INFO_V1(lifecycle_retention_trans);

/*
 * lifecycle_retention_trans - cohort_retention(p, period, as_of [, anchor])
 * transition.  A NULL profile (a customer without purchases) joins no
 * cohort; a NULL anchor falls back to the first purchase.
 */
Datum
lifecycle_retention_trans(PG_FUNCTION_ARGS)
{
	RetentionData *r;
	RetentionPeriod per;
	int32		asof;
	bool		has_anchor = false;
	int32		anchor = 0;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "cohort_retention transition function called in non-aggregate context");

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("cohort_retention period must not be NULL"),
				 errhint("Use day, week, month, quarter, year or a number of days such as '30 days'.")));
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("cohort_retention as_of must not be NULL"),
				 errhint("Pass the last day of observation, e.g. current_date - 1.")));

	per = CachedPeriod(fcinfo, PG_GETARG_TEXT_PP(2));
	r = StateArg(fcinfo);
	if (r == NULL)
		r = RetentionAlloc(8, &per);
	else if (per.unit != r->unit || per.block_days != r->block_days)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cohort_retention period changed within a group (%s, then %s)",
						PeriodName(r->unit, r->block_days),
						PeriodName(per.unit, per.block_days)),
				 errhint("Pass the same period for every row.")));

	asof = lc_arg_day(fcinfo, 3, "as_of");
	if (PG_NARGS() > 4 && !PG_ARGISNULL(4))
	{
		has_anchor = true;
		anchor = lc_arg_day(fcinfo, 4, "anchor");
	}
	if (!PG_ARGISNULL(1))
	{
		ProfileData *p = profile_get_canonical(fcinfo, 1);

		r = RetentionAddCustomer(r, p, asof, has_anchor, anchor);
	}
	else if (has_anchor && anchor <= asof)
	{
		/* an anchored customer without purchases is in the cohort, never active */
		ProfileData empty = {0};

		SET_VARSIZE(&empty, PROFILE_HDRSZ);
		empty.version = PROFILE_VERSION;
		empty.flags = PROFILE_CANONICAL;
		r = RetentionAddCustomer(r, &empty, asof, true, anchor);
	}
	PG_RETURN_POINTER(r);
}

PG_FUNCTION_INFO_V1(lifecycle_retention_merge);

/*
 * lifecycle_retention_merge - combine function and rollup() transition:
 * element-wise sums.  Strict: a NULL side leaves the other unchanged.
 */
Datum
lifecycle_retention_merge(PG_FUNCTION_ARGS)
{
	RetentionData *b = RetentionCheck(PG_GETARG_RETENTION_P(1));
	RetentionData *a;

	if (AggCheckCallContext(fcinfo, NULL))
		a = StateArg(fcinfo);
	else
	{
		a = RetentionCheck((RetentionData *) PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(0)));
	}
	PG_RETURN_POINTER(MergeInto(a, b));
}

/*
 * Trimmed - a copy of r with capacity == nperiods (the stored form).
 */
static RetentionData *
Trimmed(const RetentionData *r)
{
	RetentionData *n = palloc(RETENTION_SIZE(r->nperiods));

	memcpy(n, r, RETENTION_SIZE(r->nperiods));
	SET_VARSIZE(n, RETENTION_SIZE(r->nperiods));
	n->capacity = r->nperiods;
	return n;
}

PG_FUNCTION_INFO_V1(lifecycle_retention_final);

/*
 * lifecycle_retention_final - the finished curve (a trimmed copy; the
 * state is left untouched so the aggregate also works as a window
 * function).
 */
Datum
lifecycle_retention_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	/* a lone partial state can arrive with a short header: detoast */
	PG_RETURN_POINTER(Trimmed(RetentionCheck((RetentionData *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0)))));
}

/* ----------------------------------------------------------------
 * Building curves from other states (cohort.c)
 * ----------------------------------------------------------------
 */

/*
 * lc_retention_period - parse a retention period name, with the error of
 * cohort_retention for an unknown one; returns the unit (0 for rolling).
 */
int
lc_retention_period(const char *name, int32 *block_days)
{
	RetentionPeriod per = ParsePeriod(name);

	*block_days = per.block_days;
	return per.unit;
}

/*
 * lc_retention_period_name - canonical spelling of a period (palloc'd).
 */
char *
lc_retention_period_name(int unit, int32 block_days)
{
	return PeriodName(unit, block_days);
}

/*
 * lc_retention_new - an empty curve of the given period.
 */
RetentionData *
lc_retention_new(int unit, int32 block_days)
{
	RetentionPeriod per = {unit, block_days};

	return RetentionAlloc(8, &per);
}

/*
 * lc_retention_add - add one customer (a canonical profile, offsets from
 * the first purchase) to a curve; returns the (maybe reallocated) curve.
 */
RetentionData *
lc_retention_add(RetentionData *r, const ProfileData *p, int32 asof)
{
	return RetentionAddCustomer(r, p, asof, false, 0);
}

/*
 * lc_retention_trimmed - the stored form of a curve.
 */
RetentionData *
lc_retention_trimmed(const RetentionData *r)
{
	return Trimmed(r);
}

/* ----------------------------------------------------------------
 * Text and binary forms
 *
 * Text (canonical JSON): {"v":1,"period":"month","customers":N,
 *	 "cells":[[horizon,reach,active,horizon_revenue,revenue],...]}
 * one cell per offset 0..n-1.
 *
 * Binary: uint8 version, uint8 unit, int32 block days, int64 customers,
 * int32 n, then per offset int64 horizon, reach, active and float8
 * horizon revenue, revenue; network byte order.
 * ----------------------------------------------------------------
 */

/*
 * CheckCells - invariants of a curve read from text or binary input.
 */
static void
CheckCells(const RetentionData *r, int errcode_)
{
	int64		eligible = 0;
	int64		reach = 0;

	for (int k = r->nperiods - 1; k >= 0; k--)
	{
		const RetentionCell *c = &r->cells[k];

		eligible += c->horizon;
		reach += c->reach;
		if (c->horizon < 0 || c->reach < 0 || c->active < 0 ||
			c->active > eligible || reach > eligible ||
			!isfinite(c->horizon_rev) || !isfinite(c->revenue))
			ereport(ERROR,
					(errcode(errcode_),
					 errmsg("invalid retention_curve: inconsistent counts at period %d", k),
					 errhint("Counts are non-negative and no larger than the customers eligible for the period.")));
	}
	if (eligible > r->customers)
		ereport(ERROR,
				(errcode(errcode_),
				 errmsg("invalid retention_curve: more eligible customers than customers")));
}

PG_FUNCTION_INFO_V1(lifecycle_retention_in);

/*
 * lifecycle_retention_in - parse the canonical text form, strictly.
 */
Datum
lifecycle_retention_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	LcReader	rd = {str, str, "retention_curve",
	"{\"v\":1,\"period\":\"month\",\"customers\":N,\"cells\":[[horizon,reach,active,horizon_revenue,revenue],...]}"};
	RetentionData *r;
	RetentionPeriod per;
	char		name[32];
	const char *pos;
	int			n = 0;
	int64		customers;

	lc_expect_version(&rd, RETENTION_VERSION);
	lc_expect(&rd, "\"period\"");
	lc_expect(&rd, ":");
	lc_skip_space(&rd);
	pos = rd.p;
	lc_parse_string(&rd, name, sizeof(name), "a period name");
	per = ParsePeriod(name);
	if (strcmp(name, PeriodName(per.unit, per.block_days)) != 0)
		lc_value_error(&rd, pos, "period not in canonical form");
	lc_expect(&rd, ",");
	lc_expect(&rd, "\"customers\"");
	lc_expect(&rd, ":");
	customers = lc_parse_int(&rd, 0, PG_INT64_MAX, "a customer count");
	lc_expect(&rd, ",");
	lc_expect(&rd, "\"cells\"");
	lc_expect(&rd, ":");
	lc_expect(&rd, "[");
	r = RetentionAlloc(8, &per);
	r->customers = customers;
	if (!lc_accept(&rd, "]"))
	{
		do
		{
			RetentionCell *c;

			r = RetentionEnsure(r, n + 1);
			c = &r->cells[n++];
			lc_expect(&rd, "[");
			c->horizon = lc_parse_int(&rd, 0, PG_INT64_MAX, "a horizon count");
			lc_expect(&rd, ",");
			c->reach = lc_parse_int(&rd, 0, PG_INT64_MAX, "a reach count");
			lc_expect(&rd, ",");
			c->active = lc_parse_int(&rd, 0, PG_INT64_MAX, "an active count");
			lc_expect(&rd, ",");
			c->horizon_rev = lc_parse_float(&rd, "a revenue");
			lc_expect(&rd, ",");
			c->revenue = lc_parse_float(&rd, "a revenue");
			lc_expect(&rd, "]");
		} while (lc_accept(&rd, ","));
		lc_expect(&rd, "]");
	}
	lc_expect(&rd, "}");
	lc_expect_end(&rd);
	CheckCells(r, ERRCODE_INVALID_PARAMETER_VALUE);
	PG_RETURN_POINTER(Trimmed(r));
}

PG_FUNCTION_INFO_V1(lifecycle_retention_out);

/*
 * lifecycle_retention_out - canonical text form (exact round trip).
 */
Datum
lifecycle_retention_out(PG_FUNCTION_ARGS)
{
	RetentionData *r = RetentionCheck(PG_GETARG_RETENTION_P(0));
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"v\":%d,\"period\":\"%s\",\"customers\":" INT64_FORMAT ",\"cells\":[",
					 RETENTION_VERSION, PeriodName(r->unit, r->block_days),
					 r->customers);
	for (int k = 0; k < r->nperiods; k++)
	{
		const RetentionCell *c = &r->cells[k];

		appendStringInfo(&buf, "%s[" INT64_FORMAT "," INT64_FORMAT "," INT64_FORMAT ",",
						 k > 0 ? "," : "", c->horizon, c->reach, c->active);
		lc_append_float(&buf, c->horizon_rev);
		appendStringInfoChar(&buf, ',');
		lc_append_float(&buf, c->revenue);
		appendStringInfoChar(&buf, ']');
	}
	appendStringInfoString(&buf, "]}");
	PG_RETURN_CSTRING(buf.data);
}

PG_FUNCTION_INFO_V1(lifecycle_retention_send);

/*
 * lifecycle_retention_send - binary output.
 */
Datum
lifecycle_retention_send(PG_FUNCTION_ARGS)
{
	RetentionData *r = RetentionCheck(PG_GETARG_RETENTION_P(0));
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, RETENTION_VERSION);
	pq_sendbyte(&buf, r->unit);
	pq_sendint32(&buf, r->block_days);
	pq_sendint64(&buf, r->customers);
	pq_sendint32(&buf, r->nperiods);
	for (int k = 0; k < r->nperiods; k++)
	{
		const RetentionCell *c = &r->cells[k];

		pq_sendint64(&buf, c->horizon);
		pq_sendint64(&buf, c->reach);
		pq_sendint64(&buf, c->active);
		pq_sendfloat8(&buf, c->horizon_rev);
		pq_sendfloat8(&buf, c->revenue);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(lifecycle_retention_recv);

/*
 * lifecycle_retention_recv - binary input; validates every field before
 * allocating and rejects trailing bytes.
 */
Datum
lifecycle_retention_recv(PG_FUNCTION_ARGS)
{
	StringInfo	msg = (StringInfo) PG_GETARG_POINTER(0);
	RetentionData *r;
	RetentionPeriod per;
	int			version;
	int			n;
	int64		customers;

	if (msg->len - msg->cursor < 18)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid retention_curve: binary value too short")));
	version = pq_getmsgbyte(msg);
	if (version != RETENTION_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported retention_curve binary version %d", version)));
	per.unit = pq_getmsgbyte(msg);
	per.block_days = pq_getmsgint(msg, 4);
	if (per.unit > RU_YEAR ||
		(per.unit == RU_ROLLING && (per.block_days < 1 || per.block_days > 36600)) ||
		(per.unit != RU_ROLLING && per.block_days != 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid retention_curve period in binary input")));
	customers = pq_getmsgint64(msg);
	if (customers < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid retention_curve customer count in binary input")));
	n = pq_getmsgint(msg, 4);
	if (n < 0 || n > RETENTION_MAX_PERIODS ||
		(Size) n * 40 != (Size) (msg->len - msg->cursor))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid retention_curve length in binary input")));
	r = RetentionAlloc(Max(n, 1), &per);
	r->customers = customers;
	r->nperiods = n;
	for (int k = 0; k < n; k++)
	{
		RetentionCell *c = &r->cells[k];

		c->horizon = pq_getmsgint64(msg);
		c->reach = pq_getmsgint64(msg);
		c->active = pq_getmsgint64(msg);
		c->horizon_rev = pq_getmsgfloat8(msg);
		c->revenue = pq_getmsgfloat8(msg);
	}
	pq_getmsgend(msg);
	CheckCells(r, ERRCODE_INVALID_BINARY_REPRESENTATION);
	PG_RETURN_POINTER(Trimmed(r));
}

/* ----------------------------------------------------------------
 * Accessors
 * ----------------------------------------------------------------
 */

/* one row of the retention table */
typedef struct RetentionRow
{
	int64		eligible;
	int64		active;
	int64		active_or_after;
	float8		revenue;
	float8		base_revenue;
} RetentionRow;

/*
 * TableRows - per offset eligible, active, active-or-after, revenue and
 * base revenue (suffix sums of the state); palloc'd array of nperiods.
 */
static RetentionRow *
TableRows(const RetentionData *r)
{
	RetentionRow *rows = palloc0(sizeof(RetentionRow) * Max(r->nperiods, 1));
	int64		eligible = 0,
				reach = 0;
	float8		base = 0;

	for (int k = r->nperiods - 1; k >= 0; k--)
	{
		eligible += r->cells[k].horizon;
		reach += r->cells[k].reach;
		base += r->cells[k].horizon_rev;
		rows[k].eligible = eligible;
		rows[k].active_or_after = reach;
		rows[k].base_revenue = base;
		rows[k].active = r->cells[k].active;
		rows[k].revenue = r->cells[k].revenue;
	}
	return rows;
}

PG_FUNCTION_INFO_V1(lifecycle_retention_table);

/*
 * lifecycle_retention_table - retention_table(curve): one row per period
 * offset (period, eligible, active, rate, active_or_after, rate_or_after,
 * revenue, revenue_rate); rates are NULL when nobody is eligible.
 */
Datum
lifecycle_retention_table(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	RetentionData *r = RetentionCheck(PG_GETARG_RETENTION_P(0));
	RetentionRow *rows = TableRows(r);

	InitMaterializedSRF(fcinfo, 0);
	for (int k = 0; k < r->nperiods; k++)
	{
		Datum		values[8];
		bool		nulls[8] = {0};
		RetentionRow *row = &rows[k];

		values[0] = Int32GetDatum(k);
		values[1] = Int64GetDatum(row->eligible);
		values[2] = Int64GetDatum(row->active);
		values[4] = Int64GetDatum(row->active_or_after);
		values[6] = Float8GetDatum(row->revenue);
		if (row->eligible > 0)
		{
			values[3] = Float8GetDatum((double) row->active / row->eligible);
			values[5] = Float8GetDatum((double) row->active_or_after / row->eligible);
		}
		else
			nulls[3] = nulls[5] = true;
		if (row->base_revenue != 0)
			values[7] = Float8GetDatum(row->revenue / row->base_revenue);
		else
			nulls[7] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(lifecycle_retention_rates);

/*
 * lifecycle_retention_rates - retention_rates(curve, mode): the rate per
 * offset as float8[]; mode 'on' (active in k), 'on_or_after' (active in k
 * or later) or 'revenue' (revenue in k over period-0 revenue of the same
 * customers).  Elements are NULL where nobody is eligible.
 */
Datum
lifecycle_retention_rates(PG_FUNCTION_ARGS)
{
	RetentionData *r = RetentionCheck(PG_GETARG_RETENTION_P(0));
	char	   *mode = text_to_cstring(PG_GETARG_TEXT_PP(1));
	RetentionRow *rows = TableRows(r);
	Datum	   *values = palloc(sizeof(Datum) * Max(r->nperiods, 1));
	bool	   *nulls = palloc0(sizeof(bool) * Max(r->nperiods, 1));
	int			m;
	int			dims[1];
	int			lbs[1] = {1};

	if (strcmp(mode, "on") == 0)
		m = 0;
	else if (strcmp(mode, "on_or_after") == 0)
		m = 1;
	else if (strcmp(mode, "revenue") == 0)
		m = 2;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown retention mode \"%s\"", mode),
				 errhint("Use 'on', 'on_or_after' or 'revenue'.")));

	for (int k = 0; k < r->nperiods; k++)
	{
		RetentionRow *row = &rows[k];

		if (m == 2 ? row->base_revenue == 0 : row->eligible == 0)
		{
			nulls[k] = true;
			continue;
		}
		if (m == 0)
			values[k] = Float8GetDatum((double) row->active / row->eligible);
		else if (m == 1)
			values[k] = Float8GetDatum((double) row->active_or_after / row->eligible);
		else
			values[k] = Float8GetDatum(row->revenue / row->base_revenue);
	}
	dims[0] = r->nperiods;
	PG_RETURN_ARRAYTYPE_P(construct_md_array(values, nulls, 1, dims, lbs,
											 FLOAT8OID, 8, FLOAT8PASSBYVAL,
											 TYPALIGN_DOUBLE));
}

PG_FUNCTION_INFO_V1(lifecycle_retention_customers);

/*
 * lifecycle_retention_customers - cohort_size(curve): customers in the
 * cohort (started on or before as_of), eligible or not.
 */
Datum
lifecycle_retention_customers(PG_FUNCTION_ARGS)
{
	RetentionData *r = RetentionCheck(PG_GETARG_RETENTION_P(0));

	PG_RETURN_INT64(r->customers);
}

PG_FUNCTION_INFO_V1(lifecycle_retention_period);

/*
 * lifecycle_retention_period - retention_period(curve): the period the
 * curve was built with, in canonical spelling.
 */
Datum
lifecycle_retention_period(PG_FUNCTION_ARGS)
{
	RetentionData *r = RetentionCheck(PG_GETARG_RETENTION_P(0));

	PG_RETURN_TEXT_P(cstring_to_text(PeriodName(r->unit, r->block_days)));
}

/*
 * PeriodStartDay - first day of the calendar period (unit) containing day;
 * infinite dates are returned unchanged.
 */
static DateADT
PeriodStartDay(DateADT day, int unit)
{
	int32		start;

	if (DATE_NOT_FINITE(day))
		return day;
	start = lc_calendar_start(lc_calendar_index(day, unit), unit);
	if (!IS_VALID_DATE(start))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("date out of range: the %s containing this date starts before the first valid date",
						lc_unit_names[unit])));
	return start;
}

/*
 * CalendarUnitArg - the calendar unit named by text argument argno (cached
 * per call site); rolling windows have no calendar start and are refused.
 */
static int
CalendarUnitArg(FunctionCallInfo fcinfo, int argno, const char *fname)
{
	RetentionPeriod per = CachedPeriod(fcinfo, PG_GETARG_TEXT_PP(argno));

	if (per.unit == RU_ROLLING)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs a calendar period, got \"%s\"",
						fname, text_to_cstring(PG_GETARG_TEXT_PP(argno))),
				 errhint("Use day, week, month, quarter or year; group rolling-window curves by a calendar cohort, e.g. cohort_start(p, 'week').")));
	return per.unit;
}

PG_FUNCTION_INFO_V1(lifecycle_period_start);

/*
 * lifecycle_period_start - period_start(d date, period text): the first
 * day of the calendar period containing d (weeks start on Monday), the
 * date counterpart of date_trunc without a time zone.
 */
Datum
lifecycle_period_start(PG_FUNCTION_ARGS)
{
	int			unit = CalendarUnitArg(fcinfo, 1, "period_start");

	PG_RETURN_DATEADT(PeriodStartDay(PG_GETARG_DATEADT(0), unit));
}

PG_FUNCTION_INFO_V1(lifecycle_cohort_start);

/*
 * lifecycle_cohort_start - cohort_start(p, period): the first day of the
 * calendar period containing the first purchase, the cohort key that
 * matches cohort_retention's period 0; NULL for a profile without days.
 */
Datum
lifecycle_cohort_start(PG_FUNCTION_ARGS)
{
	int			unit = CalendarUnitArg(fcinfo, 1, "cohort_start");
	ProfileData *p = profile_get_canonical(fcinfo, 0);

	if (p->ndays == 0)
		PG_RETURN_NULL();
	PG_RETURN_DATEADT(PeriodStartDay(p->days[0].day, unit));
}
