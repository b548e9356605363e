/*-------------------------------------------------------------------------
 *
 * cohort.c
 *	  The one-pass aggregates over orders: cohort_matrix (every cohort's
 *	  retention curve) and activity_lifecycle(customer, ts, period, from,
 *	  to) (PostHog's lifecycle), without a per-customer GROUP BY.
 *
 * The two-step way (customer_profile per customer, then cohort_retention
 * or activity_lifecycle over the profiles) pays the executor's
 * per-customer grouping: a hash table entry, a transition state and a
 * spill to disk per customer.  These aggregates fill one list of customer
 * cells instead (cells.c).  For cohort_matrix a cell is a (customer, day),
 * or a (customer, period start) when the period is a calendar unit that is
 * also the cohort unit, since then a purchase only matters through its
 * period; the lifecycle always keeps periods.  The final functions walk the
 * cells customer by customer and add each customer exactly as the two-step
 * aggregates add a profile (RetentionAddCustomer, ActivityAddCustomer), so
 * the two ways give the same numbers.
 *
 *-------------------------------------------------------------------------
 */
#include "cells.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

/* ----------------------------------------------------------------
 * Transition, combine, final
 * ----------------------------------------------------------------
 */

/* argument positions of a transition function (-1: none) */
typedef struct CohortArgs
{
	int			kind;
	int			customer,
				ts,
				amount,
				period,
				asof,
				cohort,
				from;
} CohortArgs;

/* cohort_matrix(customer, ts, amount, period, as_of [, cohort period]) */
static const CohortArgs retention_args = {COHORT_KIND_RETENTION, 1, 2, 3, 4, 5, 6, -1};

/* activity_lifecycle(customer, ts, period, from, to) */
static const CohortArgs activity_args = {COHORT_KIND_ACTIVITY, 1, 2, -1, 3, 5, -1, 4};

/* the constant arguments of a call site, parsed once (fn_extra) */
typedef struct CohortCall
{
	Oid			ts_type;		/* DATEOID, TIMESTAMPOID or TIMESTAMPTZOID */
	Datum		asof_datum;		/* the as_of and from values parsed */
	Datum		from_datum;
	int32		asof;
	int32		from;
	int			unit;
	int32		block_days;
	int			cohort_unit;
	text	   *period;			/* the texts parsed, copied */
	text	   *cohort;			/* NULL when not given */
	int32		last_day;		/* the last day bucketed, and its period start */
	int32		last_start;
	int32		to_start;		/* activity: first day of the period holding "to" */
} CohortCall;

/*
 * same_text - are two texts equal (b may be NULL)?
 */
static inline bool
same_text(text *a, text *b)
{
	return b != NULL && VARSIZE_ANY_EXHDR(a) == VARSIZE_ANY_EXHDR(b) &&
		memcmp(VARDATA_ANY(a), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(a)) == 0;
}

/*
 * parse_call - parse the constant arguments into call (in fn_mcxt).
 */
static void
parse_call(FunctionCallInfo fcinfo, const CohortArgs *args, CohortCall *call,
		   text *period, text *cohort)
{
	char	   *pname = text_to_cstring(period);

	call->last_day = PG_INT32_MIN;	/* no day bucketed with this unit yet */
	if (args->kind == COHORT_KIND_ACTIVITY)
	{
		call->unit = lc_parse_period(pname, &call->block_days);
		if (call->unit <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown activity_lifecycle period \"%s\"", pname),
					 errhint("Use day, week (ISO weeks starting on Monday), month, quarter or year.")));
		call->cohort_unit = call->unit;
		call->asof = lc_arg_day(fcinfo, args->asof, "to");
		call->from = lc_arg_day(fcinfo, args->from, "from");
		/* the range checks and errors of activity_lifecycle */
		pfree(lc_activity_new(call->unit, call->from, call->asof));
		call->to_start = lc_calendar_start(lc_calendar_index(call->asof, call->unit), call->unit);
		call->from_datum = PG_GETARG_DATUM(args->from);
	}
	else
	{
		call->unit = lc_retention_period(pname, &call->block_days);
		if (cohort != NULL)
		{
			char	   *name = text_to_cstring(cohort);
			int32		block;

			call->cohort_unit = lc_parse_period(name, &block);
			if (call->cohort_unit <= 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("cohort_matrix cohort period must be a calendar unit, got \"%s\"", name),
						 errhint("Group cohorts by day, week, month, quarter or year.")));
		}
		else
		{
			if (call->unit == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("cohort_matrix with a rolling period needs a calendar cohort period"),
						 errhint("Pass one more argument, e.g. cohort_matrix(customer_id, ts, amount, '7 days', as_of, 'week').")));
			call->cohort_unit = call->unit;
		}
		call->asof = lc_arg_day(fcinfo, args->asof, "as_of");
		call->from = 0;
		call->from_datum = 0;
	}
	call->cohort = cohort ? (text *) PG_DETOAST_DATUM_COPY(PointerGetDatum(cohort)) : NULL;
	call->period = (text *) PG_DETOAST_DATUM_COPY(PointerGetDatum(period));
	call->asof_datum = PG_GETARG_DATUM(args->asof);
}

/*
 * cohort_call - the parsed constant arguments of a transition, re-parsed
 * only when they change.
 */
static CohortCall *
cohort_call(FunctionCallInfo fcinfo, const CohortArgs *args)
{
	CohortCall *call = (CohortCall *) fcinfo->flinfo->fn_extra;
	bool		has_cohort = args->cohort > 0 && PG_NARGS() > args->cohort;
	text	   *period,
			   *cohort = NULL;
	MemoryContext old;

	if (PG_ARGISNULL(args->period) || PG_ARGISNULL(args->asof) ||
		(has_cohort && PG_ARGISNULL(args->cohort)) ||
		(args->from > 0 && PG_ARGISNULL(args->from)))
	{
		if (args->kind == COHORT_KIND_ACTIVITY)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("activity_lifecycle period, \"from\" and \"to\" must not be NULL"),
					 errhint("Example: activity_lifecycle(customer_id, ordered_at, 'month', date '2024-01-01', date '2025-12-31').")));
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("cohort_matrix period, as_of and cohort period must not be NULL"),
				 errhint("Example: cohort_matrix(customer_id, ordered_at, amount, 'month', date '2025-12-31').")));
	}
	period = PG_GETARG_TEXT_PP(args->period);
	if (has_cohort)
		cohort = PG_GETARG_TEXT_PP(args->cohort);
	if (call != NULL && same_text(period, call->period) &&
		PG_GETARG_DATUM(args->asof) == call->asof_datum &&
		(args->from < 0 || PG_GETARG_DATUM(args->from) == call->from_datum) &&
		(has_cohort ? same_text(cohort, call->cohort) : call->cohort == NULL))
		return call;

	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	if (call == NULL)
	{
		call = palloc0(sizeof(CohortCall));
		call->ts_type = get_fn_expr_argtype(fcinfo->flinfo, args->ts);
		fcinfo->flinfo->fn_extra = call;
	}
	parse_call(fcinfo, args, call, period, cohort);
	MemoryContextSwitchTo(old);
	return call;
}

/*
 * row_day - the day of the purchase time in argument argno (not NULL).
 */
static inline int32
row_day(FunctionCallInfo fcinfo, const CohortCall *call, int argno)
{
	if (call->ts_type == DATEOID)
		return lc_date_day(PG_GETARG_DATEADT(argno), "purchase date");
	return lc_timestamp_day(PG_GETARG_TIMESTAMP(argno));
}

/*
 * cohort_trans - the transition of both aggregates: rows without a
 * customer or a time are skipped, as are purchases after as_of ("to"); a
 * NULL amount counts as a purchase of unknown value (active, no revenue).
 */
static Datum
cohort_trans(FunctionCallInfo fcinfo, const CohortArgs *args)
{
	MemoryContext aggcontext;
	CohortCall *call;
	CohortState st;
	CohortCell	cell;
	int32		day;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "%s transition function called in non-aggregate context",
			 cell_type_names[args->kind]);
	call = cohort_call(fcinfo, args);
	if (PG_ARGISNULL(0))
	{
		/* small: a GROUP BY may hold many states at once */
		st.h = cohort_alloc(64, args->kind, call->unit, call->block_days, call->cohort_unit,
							call->asof, call->from);
		st.eh = NULL;
	}
	else
	{
		cohort_state_arg(fcinfo, &st);
		if (st.h->kind != args->kind || st.h->unit != call->unit ||
			st.h->block_days != call->block_days ||
			st.h->cohort_unit != call->cohort_unit || st.h->asof != call->asof ||
			st.h->from != call->from)
		{
			if (args->kind == COHORT_KIND_ACTIVITY)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("activity_lifecycle period or range changed within a group"),
						 errhint("Pass the same period, from and to on every row.")));
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cohort_matrix period, as_of and cohort period must be the same on every row"),
					 errhint("Pass them as constants.")));
		}
	}
	if (PG_ARGISNULL(args->ts))
		PG_RETURN_DATUM(cohort_state_datum(&st));

	/* every dated row is checked, as customer_profile checks it */
	day = row_day(fcinfo, call, args->ts);
	cell.spend = 0;
	if (args->amount > 0 && !PG_ARGISNULL(args->amount))
	{
		cell.spend = PG_GETARG_FLOAT8(args->amount) + 0.0;
		if (!isfinite(cell.spend))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("purchase amount must be finite, got %g", cell.spend),
					 errhint("Use NULL for an unknown amount; NaN and infinity are not amounts.")));
	}
	if (PG_ARGISNULL(args->customer) ||
		(args->kind == COHORT_KIND_RETENTION && day > call->asof))
		PG_RETURN_DATUM(cohort_state_datum(&st));
	if (COHORT_BUCKETED(st.h) && st.h->unit != LC_UNIT_DAY)
	{
		/* rows come in runs of one day when the table is in time order */
		if (day != call->last_day)
		{
			call->last_day = day;
			call->last_start = lc_calendar_start(lc_calendar_index(day, st.h->unit), st.h->unit);
		}
		day = call->last_start;
	}
	/* activity: the whole period holding "to" counts, later ones cannot matter */
	if (args->kind == COHORT_KIND_ACTIVITY && day > call->to_start)
		PG_RETURN_DATUM(cohort_state_datum(&st));
	cell.customer = PG_GETARG_INT64(args->customer);
	cell.day = day;
	cell.reserved = 0;
	cohort_add(&st, aggcontext, &cell);
	PG_RETURN_DATUM(cohort_state_datum(&st));
}

PG_FUNCTION_INFO_V1(lifecycle_cohort_matrix_trans);

/*
 * lifecycle_cohort_matrix_trans - cohort_matrix(customer, ts, amount,
 * period, as_of [, cohort period]) transition.
 */
Datum
lifecycle_cohort_matrix_trans(PG_FUNCTION_ARGS)
{
	return cohort_trans(fcinfo, &retention_args);
}

PG_FUNCTION_INFO_V1(lifecycle_activity_orders_trans);

/*
 * lifecycle_activity_orders_trans - activity_lifecycle(customer, ts,
 * period, from, to) transition: the same cells, one per customer and
 * period, purchases after "to" left out (they cannot change a count).
 */
Datum
lifecycle_activity_orders_trans(PG_FUNCTION_ARGS)
{
	return cohort_trans(fcinfo, &activity_args);
}

/* one cohort's curve while the final function runs */
typedef struct CohortSlot
{
	int64		index;			/* calendar index of the cohort period */
	RetentionData *curve;
} CohortSlot;

#define SLOT_CACHE	1024		/* direct-mapped cache of cohort slots */

/* the cohorts met so far: slots sorted by index, and a cache in front */
typedef struct CohortSlots
{
	CohortSlot **sorted;
	int			n;
	int			cap;
	CohortSlot *cache[SLOT_CACHE];
} CohortSlots;

/*
 * cohort_slot - the slot of cohort index idx, created when new.  Customers
 * come in id order, so cohorts repeat in no order: a direct-mapped cache
 * answers nearly every lookup, and a binary search the rest.
 */
static CohortSlot *
cohort_slot(CohortSlots *cs, int64 idx, const CohortHist *h)
{
	CohortSlot **hit = &cs->cache[(uint64) idx % SLOT_CACHE];
	CohortSlot *slot;
	int			lo = 0,
				hi = cs->n;

	if (*hit != NULL && (*hit)->index == idx)
		return *hit;
	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (cs->sorted[mid]->index < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < cs->n && cs->sorted[lo]->index == idx)
		return *hit = cs->sorted[lo];
	if (cs->n == cs->cap)
	{
		cs->cap *= 2;
		cs->sorted = repalloc(cs->sorted, sizeof(CohortSlot *) * cs->cap);
	}
	memmove(cs->sorted + lo + 1, cs->sorted + lo, sizeof(CohortSlot *) * (cs->n - lo));
	cs->n++;
	slot = palloc(sizeof(CohortSlot));
	slot->index = idx;
	slot->curve = lc_retention_new(h->unit, h->block_days);
	cs->sorted[lo] = slot;
	return *hit = slot;
}

PG_FUNCTION_INFO_V1(lifecycle_cohort_matrix_final);

/*
 * lifecycle_cohort_matrix_final - one (cohort, curve) per cohort, in
 * cohort order: each customer joins the cohort of the calendar period of
 * their first purchase on or before as_of and is added to its curve as
 * cohort_retention adds a profile.  The cells and the runs the combine
 * function kept are merged on the fly.  No rows: an empty array.
 */
Datum
lifecycle_cohort_matrix_final(PG_FUNCTION_ARGS)
{
	Oid			arraytype = get_fn_expr_rettype(fcinfo->flinfo);
	Oid			elemtype = OidIsValid(arraytype) ? get_element_type(arraytype) : InvalidOid;
	TupleDesc	tupdesc;
	CohortHist *h;
	CohortSource src[COHORT_MAX_RUNS + 1];
	int			nsrc;
	CohortSlots *cs;
	ProfileData *p;
	int			pcap = 64,
				i;
	Datum	   *elems;
	int16		typlen;
	bool		typbyval;
	char		typalign;

	if (!OidIsValid(elemtype))
		elog(ERROR, "cohort_matrix_final: cannot determine its result type");
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	if (PG_ARGISNULL(0))
		PG_RETURN_ARRAYTYPE_P(construct_empty_array(elemtype));
	h = cohort_sources(PG_GETARG_DATUM(0), COHORT_KIND_RETENTION, src, &nsrc);
	cs = palloc0(sizeof(CohortSlots));
	cs->cap = 64;
	cs->sorted = palloc(sizeof(CohortSlot *) * cs->cap);
	p = palloc0(PROFILE_SIZE(pcap));
	p->version = PROFILE_VERSION;
	p->flags = PROFILE_CANONICAL;
	while (customer_days(src, nsrc, &p, &pcap))
	{
		CohortSlot *slot = cohort_slot(cs, lc_calendar_index(p->days[0].day, h->cohort_unit), h);

		slot->curve = lc_retention_add(slot->curve, p, h->asof);
	}

	tupdesc = lookup_rowtype_tupdesc(elemtype, -1);
	if (tupdesc->natts != 2)
		elog(ERROR, "cohort_matrix_final: unexpected result row type");
	elems = palloc(sizeof(Datum) * Max(cs->n, 1));
	for (i = 0; i < cs->n; i++)
	{
		int32		start = lc_calendar_start(cs->sorted[i]->index, h->cohort_unit);
		Datum		values[2];
		bool		nulls[2] = {false, false};

		if (!IS_VALID_DATE(start))
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("date out of range: a cohort %s starts before the first valid date",
							lc_unit_names[h->cohort_unit])));
		values[0] = DateADTGetDatum(start);
		values[1] = PointerGetDatum(lc_retention_trimmed(cs->sorted[i]->curve));
		elems[i] = HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls));
	}
	ReleaseTupleDesc(tupdesc);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, cs->n, elemtype, typlen, typbyval, typalign));
}

PG_FUNCTION_INFO_V1(lifecycle_activity_orders_final);

/*
 * lifecycle_activity_orders_final - the activity_lifecycle value (new,
 * returning, resurrecting, dormant per period) of the customers in the
 * state, each classified as activity_lifecycle classifies a profile.  No
 * rows: NULL, as over profiles.
 */
Datum
lifecycle_activity_orders_final(PG_FUNCTION_ARGS)
{
	CohortSource src[COHORT_MAX_RUNS + 1];
	int			nsrc,
				pcap = 64;
	CohortHist *h;
	ActivityData *a;
	ProfileData *p;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	h = cohort_sources(PG_GETARG_DATUM(0), COHORT_KIND_ACTIVITY, src, &nsrc);
	a = lc_activity_new(h->unit, h->from, h->asof);
	p = palloc0(PROFILE_SIZE(pcap));
	p->version = PROFILE_VERSION;
	p->flags = PROFILE_CANONICAL;
	while (customer_days(src, nsrc, &p, &pcap))
		lc_activity_add(a, p);
	PG_RETURN_POINTER(a);
}
