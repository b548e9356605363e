/*-------------------------------------------------------------------------
 *
 * stage.c
 *	  lifecycle_stage(): where a customer stands on a given day.
 *
 * Rules (R = days since the last purchase on or before as_of; a day d is
 * "within" a window W of as_of when d >= as_of - W, calendar arithmetic,
 * so a purchase exactly 90 days back is still within '90 days'):
 *
 *	  no purchase on or before as_of			 prospect
 *	  last purchase not within lapse_window		 lapsed
 *	  last purchase not within active_window	 at_risk
 *	  first purchase within new_window			 new
 *	  gap before the latest purchase exceeds lapse_window   reactivated
 *	  >= loyal_purchases purchase days within loyal_window  loyal
 *	  otherwise									 active
 *
 * With cadence_factor f, a customer with at least three purchase days gets
 * personal thresholds from their typical gap g (the median gap between
 * purchase days): at risk after f*g days of silence, lapsed after
 * f*g*(lapse_window/active_window) days, reactivated when the gap before
 * the latest purchase exceeded that lapse threshold.  Customers with fewer
 * purchase days keep the fixed windows.
 *
 * The columns form (first_purchase, last_purchase, purchases) applies the
 * same rules with what those columns can tell: the typical gap is the mean
 * gap (last - first) / (purchases - 1), "reactivated" is only detectable
 * with exactly two purchase days, and "loyal" counts all purchases as
 * falling in the loyal window.  It needs as_of >= last_purchase; for an
 * earlier as_of the stage cannot be known from the columns and is NULL.
 *
 *-------------------------------------------------------------------------
 */
#include "lifecycle.h"

#include <math.h>

#include "catalog/pg_enum.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

/* customer_stage labels, in enum order */
typedef enum Stage
{
	STAGE_PROSPECT,
	STAGE_NEW,
	STAGE_ACTIVE,
	STAGE_LOYAL,
	STAGE_AT_RISK,
	STAGE_LAPSED,
	STAGE_REACTIVATED,
	NUM_STAGES
} Stage;

static const char *const stage_labels[NUM_STAGES] = {
	"prospect", "new", "active", "loyal", "at_risk", "lapsed", "reactivated"
};

/* validated parameters of one call */
typedef struct StageParams
{
	Interval   *new_window;
	Interval   *active_window;
	Interval   *lapse_window;
	Interval   *loyal_window;
	int32		loyal_purchases;
	bool		cadence;		/* cadence_factor given */
	double		cadence_factor;
	double		lapse_ratio;	/* lapse_window / active_window in days */
} StageParams;

/* what the rules need to know about one customer as of a day */
typedef struct StageFacts
{
	int64		purchases;		/* purchase days on or before as_of */
	int32		first;			/* first purchase day */
	int32		last;			/* last purchase day on or before as_of */
	bool		have_prev;		/* previous purchase day known */
	int32		prev;			/* purchase day before "last" */
	double		typical_gap;	/* for cadence mode, if purchases >= 3 */
	int64		loyal_count;	/* purchase days within loyal_window, or -1
								 * to compute lazily from the profile */
	const ProfileData *profile; /* profile form only */
	int			k;				/* profile form: days that count */
} StageFacts;

/*
 * StageEnumOid - the pg_enum OID of a stage label, cached per call site.
 */
static Oid
StageEnumOid(FunctionCallInfo fcinfo, Stage s)
{
	Oid		   *cache = (Oid *) fcinfo->flinfo->fn_extra;

	if (cache == NULL)
	{
		Oid			typoid = get_func_rettype(fcinfo->flinfo->fn_oid);

		cache = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt,
								   sizeof(Oid) * NUM_STAGES);
		for (int i = 0; i < NUM_STAGES; i++)
		{
			cache[i] = GetSysCacheOid2(ENUMTYPOIDNAME, Anum_pg_enum_oid,
									   ObjectIdGetDatum(typoid),
									   CStringGetDatum(stage_labels[i]));
			if (!OidIsValid(cache[i]))
				elog(ERROR, "customer_stage label \"%s\" is missing",
					 stage_labels[i]);
		}
		fcinfo->flinfo->fn_extra = cache;
	}
	return cache[s];
}

/*
 * GetWindow - a non-NULL, non-negative window argument.
 */
static Interval *
GetWindow(FunctionCallInfo fcinfo, int argno, const char *name)
{
	Interval   *w;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name),
				 errhint("Leave the argument out to use its default.")));
	w = PG_GETARG_INTERVAL_P(argno);
	if (w->month < 0 || w->day < 0 || w->time < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be negative", name),
				 errhint("Windows are lengths of time looking back from as_of, such as '90 days'.")));
	return w;
}

/*
 * GetParams - read and validate the window arguments starting at argno.
 */
static void
GetParams(FunctionCallInfo fcinfo, int argno, StageParams *sp)
{
	double		active_days,
				lapse_days;

	sp->new_window = GetWindow(fcinfo, argno, "new_window");
	sp->active_window = GetWindow(fcinfo, argno + 1, "active_window");
	sp->lapse_window = GetWindow(fcinfo, argno + 2, "lapse_window");
	if (PG_ARGISNULL(argno + 3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("loyal_purchases must not be NULL"),
				 errhint("Leave the argument out to use its default.")));
	sp->loyal_purchases = PG_GETARG_INT32(argno + 3);
	if (sp->loyal_purchases < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("loyal_purchases must be at least 1, got %d",
						sp->loyal_purchases),
				 errhint("It is the number of purchase days within loyal_window that makes a customer loyal, such as 4.")));
	sp->loyal_window = GetWindow(fcinfo, argno + 4, "loyal_window");

	active_days = lc_interval_days(sp->active_window, "active_window");
	lapse_days = lc_interval_days(sp->lapse_window, "lapse_window");
	if (lapse_days < active_days)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lapse_window must not be shorter than active_window"),
				 errhint("A customer becomes at risk before lapsing, for example active_window => '90 days', lapse_window => '180 days'.")));
	sp->lapse_ratio = active_days > 0 ? lapse_days / active_days : 1.0;

	sp->cadence = !PG_ARGISNULL(argno + 5);
	if (sp->cadence)
	{
		sp->cadence_factor = PG_GETARG_FLOAT8(argno + 5);
		if (!(sp->cadence_factor > 0) || isinf(sp->cadence_factor))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cadence_factor must be a positive finite number"),
					 errhint("It counts typical gaps of silence before a customer is at risk, such as 3; NULL turns cadence mode off.")));
	}
}

/*
 * Classify - apply the stage rules to the facts about one customer.
 */
static Stage
Classify(const StageParams *sp, const StageFacts *f, int32 asof)
{
	int32		recency = asof - f->last;
	bool		personal = sp->cadence && f->purchases >= 3;
	double		at_risk_after = 0,
				lapse_after = 0;
	int64		loyal;

	if (f->purchases == 0)
		return STAGE_PROSPECT;

	if (personal)
	{
		at_risk_after = sp->cadence_factor * f->typical_gap;
		lapse_after = at_risk_after * sp->lapse_ratio;
		if (recency > lapse_after)
			return STAGE_LAPSED;
		if (recency > at_risk_after)
			return STAGE_AT_RISK;
	}
	else
	{
		if (f->last < lc_day_minus_interval(asof, sp->lapse_window))
			return STAGE_LAPSED;
		if (f->last < lc_day_minus_interval(asof, sp->active_window))
			return STAGE_AT_RISK;
	}

	if (f->first >= lc_day_minus_interval(asof, sp->new_window))
		return STAGE_NEW;

	if (f->have_prev)
	{
		if (personal ? (f->last - f->prev) > lapse_after
			: f->prev < lc_day_minus_interval(f->last, sp->lapse_window))
			return STAGE_REACTIVATED;
	}

	loyal = f->loyal_count;
	if (loyal < 0)
	{
		int32		cut = lc_day_minus_interval(asof, sp->loyal_window);

		loyal = f->k - (cut > PG_INT32_MIN ? profile_days_upto(f->profile, cut - 1) : 0);
	}
	if (loyal >= sp->loyal_purchases)
		return STAGE_LOYAL;
	return STAGE_ACTIVE;
}

PG_FUNCTION_INFO_V1(lifecycle_stage_profile);

/*
 * lifecycle_stage_profile - lifecycle_stage(p customer_profile, as_of,
 * new_window, active_window, lapse_window, loyal_purchases, loyal_window,
 * cadence_factor).  A NULL profile (a customer without purchases, e.g.
 * from a LEFT JOIN) is a prospect; a NULL as_of gives NULL.
 */
Datum
lifecycle_stage_profile(PG_FUNCTION_ARGS)
{
	StageParams sp;
	StageFacts	f = {0};
	int32		asof;
	const ProfileData *p;

	if (PG_ARGISNULL(1))
		PG_RETURN_NULL();
	GetParams(fcinfo, 2, &sp);
	asof = lc_arg_day(fcinfo, 1, "as_of");

	if (PG_ARGISNULL(0))
		PG_RETURN_OID(StageEnumOid(fcinfo, STAGE_PROSPECT));
	p = profile_get_canonical(fcinfo, 0);

	f.k = profile_days_upto(p, asof);
	f.purchases = f.k;
	f.profile = p;
	f.loyal_count = -1;
	if (f.k > 0)
	{
		f.first = p->days[0].day;
		f.last = p->days[f.k - 1].day;
		f.have_prev = f.k >= 2;
		if (f.have_prev)
			f.prev = p->days[f.k - 2].day;
		if (sp.cadence && f.k >= 3)
			f.typical_gap = profile_typical_gap(p, f.k);
	}
	PG_RETURN_OID(StageEnumOid(fcinfo, Classify(&sp, &f, asof)));
}

PG_FUNCTION_INFO_V1(lifecycle_stage_columns);

/*
 * lifecycle_stage_columns - lifecycle_stage(first_purchase, last_purchase,
 * purchases, as_of, ...windows) for a table that already keeps those
 * columns.  first_purchase NULL means no purchase yet (prospect).
 */
Datum
lifecycle_stage_columns(PG_FUNCTION_ARGS)
{
	StageParams sp;
	StageFacts	f = {0};
	int32		asof;
	int64		purchases;

	if (PG_ARGISNULL(3))
		PG_RETURN_NULL();
	GetParams(fcinfo, 4, &sp);
	asof = lc_arg_day(fcinfo, 3, "as_of");

	if (PG_ARGISNULL(0))
		PG_RETURN_OID(StageEnumOid(fcinfo, STAGE_PROSPECT));
	f.first = lc_arg_day(fcinfo, 0, "first_purchase");
	if (asof < f.first)
		PG_RETURN_OID(StageEnumOid(fcinfo, STAGE_PROSPECT));

	f.last = PG_ARGISNULL(1) ? f.first : lc_arg_day(fcinfo, 1, "last_purchase");
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("purchases must not be NULL when first_purchase is set"),
				 errhint("Pass the number of purchase days, for example coalesce(purchases, 1).")));
	purchases = PG_GETARG_INT64(2);
	if (purchases < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("purchases must be at least 1 when first_purchase is on or before as_of, got " INT64_FORMAT,
						purchases),
				 errhint("A customer without purchases has first_purchase NULL.")));
	if (f.last < f.first)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("last_purchase precedes first_purchase"),
				 errhint("Check the column order: first_purchase, last_purchase, purchases, as_of.")));
	if (asof < f.last)
		PG_RETURN_NULL();		/* history before as_of is not in the columns */

	f.purchases = purchases;
	f.have_prev = (purchases == 2);
	f.prev = f.first;
	if (purchases >= 3)
		f.typical_gap = (double) (f.last - f.first) / (double) (purchases - 1);
	f.loyal_count = purchases;
	PG_RETURN_OID(StageEnumOid(fcinfo, Classify(&sp, &f, asof)));
}
