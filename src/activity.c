/*-------------------------------------------------------------------------
 *
 * activity.c
 *	  ClickHouse-style retention(VARIADIC bool[]) and the PostHog-style
 *	  activity lifecycle (new / returning / resurrecting / dormant per
 *	  calendar period), each an aggregate with its own mergeable state type.
 *
 * retention(c1, ..., cN) keeps one bit per condition: bit i is set when
 * condition i was true on some row of the group.  The result r has
 * r[1] = bit 1 and r[i] = bit 1 AND bit i, so "retained on day k" only
 * counts customers that satisfied the first (cohort) condition.  There is
 * no time ordering at all; the conditions encode the days.  The state is a
 * bit set, so the combine function is a bitwise OR.
 *
 *-------------------------------------------------------------------------
 */
#include "lifecycle.h"


#include "catalog/pg_type.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"

/* ----------------------------------------------------------------
 * retention(VARIADIC bool[])
 * ----------------------------------------------------------------
 */

#define RSTATE_VERSION		1
#define RSTATE_MAX_CONDS	32

typedef struct RetentionState
{
	int32		vl_len_;		/* varlena header */
	uint8		version;		/* RSTATE_VERSION */
	uint8		nconds;			/* number of conditions, 1..32 */
	uint16		reserved;		/* always 0 */
	uint32		seen;			/* bit i: condition i+1 was true on some row */
} RetentionState;

#define RSTATE_SIZE		sizeof(RetentionState)

#define PG_GETARG_RSTATE_P(n) ((RetentionState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(n)))

/*
 * RStateAlloc - a new empty state for nconds conditions.
 */
static RetentionState *
RStateAlloc(int nconds)
{
	RetentionState *s = palloc0(RSTATE_SIZE);

	SET_VARSIZE(s, RSTATE_SIZE);
	s->version = RSTATE_VERSION;
	s->nconds = (uint8) nconds;
	return s;
}

/*
 * RStateValid - whether the fields are consistent: 1..32 conditions and no
 * bit set beyond the last condition.
 */
static bool
RStateValid(int nconds, uint32 seen)
{
	if (nconds < 1 || nconds > RSTATE_MAX_CONDS)
		return false;
	if (nconds < 32 && (seen >> nconds) != 0)
		return false;
	return true;
}

/*
 * RStateCheck - validate a state read from disk or handed over by the
 * executor.
 */
static RetentionState *
RStateCheck(RetentionState *s)
{
	if (VARSIZE(s) != RSTATE_SIZE)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("retention_state value is corrupt (length %d)",
						(int) VARSIZE(s))));
	if (s->version != RSTATE_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("retention_state has unknown format version %d",
						s->version)));
	if (!RStateValid(s->nconds, s->seen))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("retention_state value is corrupt")));
	return s;
}

/*
 * CondsMismatch - report conditions counts that differ within a group.
 */
static void
CondsMismatch(int had, int got) pg_attribute_noreturn();

static void
CondsMismatch(int had, int got)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("retention: number of conditions changed within a group (%d, then %d)",
					had, got),
			 errhint("Pass the same conditions on every row.")));
}

PG_FUNCTION_INFO_V1(lifecycle_rstate_trans);

/*
 * lifecycle_rstate_trans - retention(VARIADIC conds bool[]) transition.
 *
 * A NULL condition counts as false; a NULL array (retention(VARIADIC
 * NULL::bool[])) leaves the state unchanged.  The state is created on the
 * first row with an array, so an empty group yields NULL.
 */
Datum
lifecycle_rstate_trans(PG_FUNCTION_ARGS)
{
	RetentionState *s = NULL;
	ArrayType  *a;
	int			n;
	uint32		bits = 0;
	bits8	   *nullmap;
	const bool *vals;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "retention transition function called in non-aggregate context");

	if (!PG_ARGISNULL(0))
	{
		s = (RetentionState *) PG_GETARG_POINTER(0);
		if (VARATT_IS_EXTENDED(s))
			s = (RetentionState *) PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(0));
		RStateCheck(s);
	}
	if (PG_ARGISNULL(1))
	{
		if (s == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s);
	}

	a = PG_GETARG_ARRAYTYPE_P(1);
	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("retention conditions must be a one-dimensional array"),
				 errhint("Pass the conditions as separate arguments: retention(c1, c2, ...).")));
	n = ARR_NDIM(a) == 1 ? ARR_DIMS(a)[0] : 0;
	if (n < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("retention needs at least one condition"),
				 errhint("Pass the cohort condition first, then one condition per period: retention(c1, c2, ...).")));
	if (n > RSTATE_MAX_CONDS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("retention accepts at most %d conditions, got %d",
						RSTATE_MAX_CONDS, n),
				 errhint("Split the periods over several retention() calls that share the first condition.")));
	if (s != NULL && s->nconds != n)
		CondsMismatch(s->nconds, n);

	nullmap = ARR_NULLBITMAP(a);
	/* ARR_DATA_PTR spelled out: the macro trips -Wsign-compare */
	vals = (const bool *) ((char *) a + (ARR_HASNULL(a) ? (Size) a->dataoffset :
										 (Size) ARR_OVERHEAD_NONULLS(1)));
	if (nullmap == NULL)
	{
		for (int i = 0; i < n; i++)
			if (vals[i])
				bits |= (uint32) 1 << i;
	}
	else
	{
		/* NULL elements take no space in the data area */
		int			j = 0;

		for (int i = 0; i < n; i++)
		{
			if ((nullmap[i >> 3] & (1 << (i & 7))) == 0)
				continue;
			if (vals[j++])
				bits |= (uint32) 1 << i;
		}
	}

	if (s == NULL)
		s = RStateAlloc(n);
	s->seen |= bits;
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(lifecycle_rstate_merge);

/*
 * lifecycle_rstate_merge - combine function: bitwise OR of two states with
 * the same number of conditions.  Strict: a NULL side leaves the other.
 */
Datum
lifecycle_rstate_merge(PG_FUNCTION_ARGS)
{
	RetentionState *b = RStateCheck(PG_GETARG_RSTATE_P(1));
	RetentionState *a;

	if (AggCheckCallContext(fcinfo, NULL))
	{
		a = (RetentionState *) PG_GETARG_POINTER(0);
		if (VARATT_IS_EXTENDED(a))
			a = (RetentionState *) PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(0));
	}
	else
		a = (RetentionState *) PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(0));
	RStateCheck(a);
	if (a->nconds != b->nconds)
		CondsMismatch(a->nconds, b->nconds);
	a->seen |= b->seen;
	PG_RETURN_POINTER(a);
}

/*
 * RStateResult - the smallint[] result: r[1] = bit 1, r[i] = bit 1 AND
 * bit i.
 */
static ArrayType *
RStateResult(const RetentionState *s)
{
	Datum		values[RSTATE_MAX_CONDS];
	bool		first = (s->seen & 1) != 0;

	for (int i = 0; i < s->nconds; i++)
		values[i] = Int16GetDatum(first && (s->seen & ((uint32) 1 << i)) ? 1 : 0);
	return construct_array(values, s->nconds, INT2OID, 2, true, TYPALIGN_SHORT);
}

PG_FUNCTION_INFO_V1(lifecycle_rstate_final);

/*
 * lifecycle_rstate_final - the retention array of a group (NULL for an
 * empty group).
 */
Datum
lifecycle_rstate_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	/* a lone partial state can arrive with a short header: detoast */
	PG_RETURN_ARRAYTYPE_P(RStateResult(RStateCheck((RetentionState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0)))));
}

PG_FUNCTION_INFO_V1(lifecycle_rstate_result);

/*
 * lifecycle_rstate_result - retention_result(state): the retention array
 * of a stored state.
 */
Datum
lifecycle_rstate_result(PG_FUNCTION_ARGS)
{
	PG_RETURN_ARRAYTYPE_P(RStateResult(RStateCheck(PG_GETARG_RSTATE_P(0))));
}

/*
 * Text form: {"v":1,"conds":N,"seen":"b1b2...bN"} where bi is 1 when
 * condition i was true on some row.  Binary form: uint8 version, uint8 N,
 * uint32 bit set (bit i-1 = condition i), network byte order.
 */

PG_FUNCTION_INFO_V1(lifecycle_rstate_in);

/*
 * lifecycle_rstate_in - parse the canonical text form, strictly.
 */
Datum
lifecycle_rstate_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	LcReader	rd = {str, str, "retention_state",
	"{\"v\":1,\"conds\":N,\"seen\":\"0101...\"} with one 0 or 1 per condition"};
	RetentionState *s;
	const char *pos;
	char		seen[RSTATE_MAX_CONDS + 2];
	int			n;
	uint32		bits = 0;

	lc_expect_version(&rd, RSTATE_VERSION);
	lc_expect(&rd, "\"conds\"");
	lc_expect(&rd, ":");
	lc_skip_space(&rd);
	pos = rd.p;
	n = (int) lc_parse_int(&rd, 0, 1000, "a number of conditions");
	if (n < 1 || n > RSTATE_MAX_CONDS)
		lc_value_error(&rd, pos, "number of conditions must be between 1 and 32");
	lc_expect(&rd, ",");
	lc_expect(&rd, "\"seen\"");
	lc_expect(&rd, ":");
	lc_skip_space(&rd);
	pos = rd.p;
	lc_parse_string(&rd, seen, sizeof(seen), "a string of 0 and 1");
	if ((int) strlen(seen) != n)
		lc_value_error(&rd, pos, "\"seen\" must have one 0 or 1 per condition");
	for (int i = 0; i < n; i++)
	{
		if (seen[i] == '1')
			bits |= (uint32) 1 << i;
		else if (seen[i] != '0')
			lc_value_error(&rd, pos, "\"seen\" must hold only 0 and 1");
	}
	lc_expect(&rd, "}");
	lc_expect_end(&rd);

	s = RStateAlloc(n);
	s->seen = bits;
	PG_RETURN_POINTER(s);
}

PG_FUNCTION_INFO_V1(lifecycle_rstate_out);

/*
 * lifecycle_rstate_out - canonical text form.
 */
Datum
lifecycle_rstate_out(PG_FUNCTION_ARGS)
{
	RetentionState *s = RStateCheck(PG_GETARG_RSTATE_P(0));
	char		seen[RSTATE_MAX_CONDS + 1];

	for (int i = 0; i < s->nconds; i++)
		seen[i] = (s->seen & ((uint32) 1 << i)) ? '1' : '0';
	seen[s->nconds] = '\0';
	PG_RETURN_CSTRING(psprintf("{\"v\":%d,\"conds\":%d,\"seen\":\"%s\"}",
							   RSTATE_VERSION, s->nconds, seen));
}

PG_FUNCTION_INFO_V1(lifecycle_rstate_send);

/*
 * lifecycle_rstate_send - binary output.
 */
Datum
lifecycle_rstate_send(PG_FUNCTION_ARGS)
{
	RetentionState *s = RStateCheck(PG_GETARG_RSTATE_P(0));
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, RSTATE_VERSION);
	pq_sendbyte(&buf, s->nconds);
	pq_sendint32(&buf, s->seen);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(lifecycle_rstate_recv);

/*
 * lifecycle_rstate_recv - binary input; validates and rejects trailing
 * bytes.
 */
Datum
lifecycle_rstate_recv(PG_FUNCTION_ARGS)
{
	StringInfo	msg = (StringInfo) PG_GETARG_POINTER(0);
	RetentionState *s;
	int			version;
	int			n;
	uint32		bits;

	if (msg->len - msg->cursor != 6)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid retention_state length in binary input")));
	version = pq_getmsgbyte(msg);
	if (version != RSTATE_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported retention_state binary version %d", version)));
	n = pq_getmsgbyte(msg);
	bits = (uint32) pq_getmsgint(msg, 4);
	pq_getmsgend(msg);
	if (!RStateValid(n, bits))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid retention_state in binary input"),
				 errdetail("%d conditions, bit set %08x.", n, bits)));
	s = RStateAlloc(n);
	s->seen = bits;
	PG_RETURN_POINTER(s);
}

/* ----------------------------------------------------------------
 * activity_lifecycle(p, period, from, to [, created])
 *
 * PostHog's lifecycle chart over calendar periods.  For one customer let
 * a_1 < a_2 < ... be the periods with a purchase day and c the period the
 * customer was created in (the first purchase, or a given created date).
 * Then, for every period t in [from, to]:
 *	  new           t = a_j and t = c (only possible for the first active
 *				    period)
 *	  returning     t = a_j and t - 1 = a_(j-1)
 *	  resurrecting  t = a_j otherwise (active now, not in t - 1, created
 *				    before t)
 *	  dormant       t - 1 = a_j and t is not active (counted once per gap)
 * so active(t) = new + returning + resurrecting and, for t > from,
 * returning(t) + dormant(t) = active(t - 1).  Purchases before "from" are
 * read to classify the first periods; purchases after "to" play no part.
 *
 * The state keeps the four counts per period of the range; one customer
 * costs O(purchase days), and states add up element-wise.
 * ----------------------------------------------------------------
 */

#define ACTIVITY_VERSION	1

/* period units as stored (never renumber: they are on disk) */
#define AU_DAY			LC_UNIT_DAY
#define AU_WEEK			LC_UNIT_WEEK
#define AU_MONTH		LC_UNIT_MONTH
#define AU_QUARTER		LC_UNIT_QUARTER
#define AU_YEAR			LC_UNIT_YEAR

/* largest range: every day of about 1,000 years */
#define ACTIVITY_MAX_PERIODS	366000

/* "from" and "to" lie in years 1 to 294276 (days since 2000-01-01) */
#define ACTIVITY_MIN_DAY	(-730119)
#define ACTIVITY_MAX_DAY	106751982

typedef struct ActivityCell
{
	int64		new_;
	int64		returning;
	int64		resurrecting;
	int64		dormant;
} ActivityCell;

struct ActivityData
{
	int32		vl_len_;		/* varlena header */
	uint8		version;		/* ACTIVITY_VERSION */
	uint8		unit;			/* AU_* */
	uint16		reserved;		/* always 0 */
	int32		first_day;		/* first day of the first period */
	int32		nperiods;		/* periods in the range, >= 1 */
	int32		reserved2;		/* always 0 (keeps cells 8-byte aligned) */
	ActivityCell cells[FLEXIBLE_ARRAY_MEMBER];
};

#define ACTIVITY_HDRSZ		offsetof(ActivityData, cells)
#define ACTIVITY_SIZE(n)	(ACTIVITY_HDRSZ + (Size) (n) * sizeof(ActivityCell))

#define PG_GETARG_ACTIVITY_P(n) ((ActivityData *) PG_DETOAST_DATUM(PG_GETARG_DATUM(n)))

/*
 * ActivityParseUnit - "day", "week", "month", "quarter" or "year"
 * (surrounding spaces and case ignored); -1 if it is none of them.
 */
static int
ActivityParseUnit(const char *s)
{
	int32		block_days;
	int			unit = lc_parse_period(s, &block_days);

	return unit >= AU_DAY ? unit : -1;	/* no rolling blocks */
}

/*
 * ActivityUnitArg - the period argument, parsed (cached per call site).
 */
static int
ActivityUnitArg(FunctionCallInfo fcinfo, int argno)
{
	text	   *t;
	char	   *s;
	int			unit;
	int		   *cache = (int *) fcinfo->flinfo->fn_extra;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("activity_lifecycle period must not be NULL"),
				 errhint("Use day, week, month, quarter or year.")));
	t = PG_GETARG_TEXT_PP(argno);
	/* cache[0] = unit, cache[1] = length, then the text */
	if (cache != NULL && cache[1] == (int) VARSIZE_ANY_EXHDR(t) &&
		memcmp(cache + 2, VARDATA_ANY(t), cache[1]) == 0)
		return cache[0];
	s = text_to_cstring(t);
	unit = ActivityParseUnit(s);
	if (unit < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown activity_lifecycle period \"%s\"", s),
				 errhint("Use day, week (ISO weeks starting on Monday), month, quarter or year; profiles hold days, so there are no hourly periods.")));
	cache = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt,
							   2 * sizeof(int) + VARSIZE_ANY_EXHDR(t));
	cache[0] = unit;
	cache[1] = VARSIZE_ANY_EXHDR(t);
	memcpy(cache + 2, VARDATA_ANY(t), cache[1]);
	fcinfo->flinfo->fn_extra = cache;
	return unit;
}

/*
 * ActivityAlloc - a zeroed state for n periods starting on first_day.
 */
static ActivityData *
ActivityAlloc(int unit, int32 first_day, int n)
{
	ActivityData *a = palloc0(ACTIVITY_SIZE(n));

	SET_VARSIZE(a, ACTIVITY_SIZE(n));
	a->version = ACTIVITY_VERSION;
	a->unit = (uint8) unit;
	a->first_day = first_day;
	a->nperiods = n;
	return a;
}

/*
 * ActivityCheck - validate a state read from disk or handed over by the
 * executor.
 */
static ActivityData *
ActivityCheck(ActivityData *a)
{
	if (a->version != ACTIVITY_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("activity_lifecycle has unknown format version %d",
						a->version)));
	if (a->unit < AU_DAY || a->unit > AU_YEAR || a->nperiods < 1 ||
		a->nperiods > ACTIVITY_MAX_PERIODS ||
		VARSIZE(a) != ACTIVITY_SIZE(a->nperiods))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("activity_lifecycle value is corrupt")));
	return a;
}

/*
 * ActivityRange - period range [from, to] as (unit, first day, count),
 * with the checks every entry point shares.
 */
static void
ActivityRange(int unit, int32 from, int32 to, int32 *first_day, int *n)
{
	int64		fi,
				ti;

	if (from > to)
	{
		char		fb[LC_DAYBUF],
					tb[LC_DAYBUF];

		lc_format_day(from, fb);
		lc_format_day(to, tb);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("activity_lifecycle \"from\" (%s) is after \"to\" (%s)", fb, tb),
				 errhint("Pass the first and the last day of the range, in that order.")));
	}
	if (from < ACTIVITY_MIN_DAY || to > ACTIVITY_MAX_DAY)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("activity_lifecycle range must lie between 0001-01-01 and 294276-12-31"),
				 errhint("Pass real dates for \"from\" and \"to\".")));
	fi = lc_calendar_index(from, unit);
	ti = lc_calendar_index(to, unit);
	if (ti - fi + 1 > ACTIVITY_MAX_PERIODS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("activity_lifecycle range would exceed %d periods",
						ACTIVITY_MAX_PERIODS),
				 errhint("Use a shorter range or a longer period.")));
	*first_day = lc_calendar_start(fi, unit);
	*n = (int) (ti - fi + 1);
}

/*
 * ActivityAddCustomer - classify one customer's active periods into the
 * state.  With has_created the customer was created on created_day;
 * otherwise creation is the first purchase.
 */
static void
ActivityAddCustomer(ActivityData *a, const ProfileData *p, bool has_created,
					int32 created_day)
{
	int64		base = lc_calendar_index(a->first_day, a->unit);
	int64		last = base + a->nperiods - 1;
	int64		created = 0;
	int64		prev = PG_INT64_MIN;	/* previous active period */
	bool		first = true;

	if (p->ndays == 0)
		return;
	if (has_created)
		created = lc_calendar_index(created_day, a->unit);

	for (int i = 0; i < p->ndays; i++)
	{
		int64		k = lc_calendar_index(p->days[i].day, a->unit);

		if (k == prev)
			continue;			/* same period as the previous purchase day */
		if (k > last + 1)
			k = last + 1;		/* only "is there a next period" matters now */
		if (first)
		{
			if (!has_created)
				created = k;
			first = false;
		}
		else if (prev >= base - 1 && prev < last && k != prev + 1)
			a->cells[prev + 1 - base].dormant++;	/* went quiet after prev */
		if (k > last)
		{
			prev = PG_INT64_MIN;	/* the rest lies after the range */
			break;
		}
		if (k >= base)
		{
			ActivityCell *c = &a->cells[k - base];

			if (k == created && prev == PG_INT64_MIN)
				c->new_++;
			else if (prev != PG_INT64_MIN && k == prev + 1)
				c->returning++;
			else
				c->resurrecting++;
		}
		prev = k;
	}
	/* the last active period, if inside the range, is followed by silence */
	if (prev != PG_INT64_MIN && prev >= base - 1 && prev < last)
		a->cells[prev + 1 - base].dormant++;
}

/*
 * lc_activity_new - an empty activity_lifecycle state for the periods
 * (unit) covering [from, to], with the range checks of the aggregate.
 */
ActivityData *
lc_activity_new(int unit, int32 from, int32 to)
{
	int32		first_day;
	int			n;

	ActivityRange(unit, from, to, &first_day, &n);
	return ActivityAlloc(unit, first_day, n);
}

/*
 * lc_activity_add - classify one customer (a canonical profile; creation
 * is the first purchase) into the state.
 */
void
lc_activity_add(ActivityData *a, const ProfileData *p)
{
	ActivityAddCustomer(a, p, false, 0);
}

PG_FUNCTION_INFO_V1(lifecycle_activity_trans);

/*
 * lifecycle_activity_trans - activity_lifecycle(p, period, from, to
 * [, created]) transition.  A NULL profile is ignored (the state still
 * covers the range, so a group of NULL profiles reads as zeros); a NULL
 * created date falls back to the first purchase.
 */
Datum
lifecycle_activity_trans(PG_FUNCTION_ARGS)
{
	ActivityData *a = NULL;
	int			unit;
	int32		from,
				to,
				first_day;
	int			n;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "activity_lifecycle transition function called in non-aggregate context");

	unit = ActivityUnitArg(fcinfo, 2);
	if (PG_ARGISNULL(3) || PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("activity_lifecycle \"from\" and \"to\" must not be NULL"),
				 errhint("Pass the first and the last day of the range to report.")));
	from = lc_arg_day(fcinfo, 3, "from");
	to = lc_arg_day(fcinfo, 4, "to");

	if (!PG_ARGISNULL(0))
	{
		a = (ActivityData *) PG_GETARG_POINTER(0);
		if (VARATT_IS_EXTENDED(a))
			a = (ActivityData *) PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(0));
		ActivityCheck(a);
	}
	if (a == NULL)
	{
		ActivityRange(unit, from, to, &first_day, &n);
		a = ActivityAlloc(unit, first_day, n);
	}
	else
	{
		int64		base = lc_calendar_index(a->first_day, a->unit);

		if (a->unit != unit || lc_calendar_index(from, unit) != base ||
			lc_calendar_index(to, unit) != base + a->nperiods - 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("activity_lifecycle period or range changed within a group"),
					 errhint("Pass the same period, from and to on every row.")));
	}

	if (!PG_ARGISNULL(1))
	{
		ProfileData *p = profile_get_canonical(fcinfo, 1);
		bool		has_created = PG_NARGS() > 5 && !PG_ARGISNULL(5);

		ActivityAddCustomer(a, p, has_created,
							has_created ? lc_arg_day(fcinfo, 5, "created") : 0);
	}
	PG_RETURN_POINTER(a);
}

/*
 * ActivityMergeInto - add state b into a (same period and range).
 */
static void
ActivityMergeInto(ActivityData *a, const ActivityData *b)
{
	if (a->unit != b->unit || a->first_day != b->first_day || a->nperiods != b->nperiods)
	{
		char		ab[LC_DAYBUF],
					bb[LC_DAYBUF];

		lc_format_day(a->first_day, ab);
		lc_format_day(b->first_day, bb);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot combine activity_lifecycle values of different ranges (%d %s periods from %s and %d %s periods from %s)",
						a->nperiods, lc_unit_names[a->unit], ab,
						b->nperiods, lc_unit_names[b->unit], bb),
				 errhint("Build every value with the same period, from and to.")));
	}
	for (int k = 0; k < a->nperiods; k++)
	{
		a->cells[k].new_ += b->cells[k].new_;
		a->cells[k].returning += b->cells[k].returning;
		a->cells[k].resurrecting += b->cells[k].resurrecting;
		a->cells[k].dormant += b->cells[k].dormant;
	}
}

PG_FUNCTION_INFO_V1(lifecycle_activity_merge);

/*
 * lifecycle_activity_merge - combine function and rollup() transition:
 * element-wise sums.  Strict: a NULL side leaves the other unchanged.
 */
Datum
lifecycle_activity_merge(PG_FUNCTION_ARGS)
{
	ActivityData *b = ActivityCheck(PG_GETARG_ACTIVITY_P(1));
	ActivityData *a;

	if (AggCheckCallContext(fcinfo, NULL))
	{
		a = (ActivityData *) PG_GETARG_POINTER(0);
		if (VARATT_IS_EXTENDED(a))
			a = (ActivityData *) PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(0));
	}
	else
		a = (ActivityData *) PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(0));
	ActivityCheck(a);
	ActivityMergeInto(a, b);
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(lifecycle_activity_final);

/*
 * lifecycle_activity_final - a copy of the state (left untouched, so the
 * aggregate also works as a window function).
 */
Datum
lifecycle_activity_final(PG_FUNCTION_ARGS)
{
	ActivityData *a;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	/* a lone partial state can arrive with a short header: detoast */
	a = ActivityCheck((ActivityData *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0)));
	PG_RETURN_POINTER(memcpy(palloc(VARSIZE(a)), a, VARSIZE(a)));
}

/* ----------------------------------------------------------------
 * Text and binary forms of activity_lifecycle
 *
 * Text (canonical JSON): {"v":1,"period":"month","from":"2024-01-01",
 *	 "cells":[[new,returning,resurrecting,dormant],...]}
 * one cell per period; "from" is the first day of the first period.
 *
 * Binary: uint8 version, uint8 unit, int32 first day (days since
 * 2000-01-01), int32 n, then per period four int64 counts; network order.
 * ----------------------------------------------------------------
 */

/*
 * ActivityCheckCells - invariants of a value read from text or binary:
 * counts are non-negative and, from the second period on, every customer
 * active in t - 1 is either returning or dormant in t.
 */
static void
ActivityCheckCells(const ActivityData *a, int errcode_)
{
	for (int k = 0; k < a->nperiods; k++)
	{
		const ActivityCell *c = &a->cells[k];

		if (c->new_ < 0 || c->returning < 0 || c->resurrecting < 0 || c->dormant < 0)
			ereport(ERROR,
					(errcode(errcode_),
					 errmsg("invalid activity_lifecycle: negative count at period %d", k),
					 errhint("Counts are non-negative; dormant customers are counted positively.")));
		if (k > 0)
		{
			const ActivityCell *p = &a->cells[k - 1];
			int64		active_before = p->new_ + p->returning + p->resurrecting;

			if (c->returning + c->dormant != active_before)
				ereport(ERROR,
						(errcode(errcode_),
						 errmsg("invalid activity_lifecycle: returning + dormant at period %d differs from the customers active at period %d",
								k, k - 1),
						 errhint("Every customer active in a period is returning or dormant in the next one.")));
		}
	}
}

PG_FUNCTION_INFO_V1(lifecycle_activity_in);

/*
 * lifecycle_activity_in - parse the canonical text form, strictly.
 */
Datum
lifecycle_activity_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	LcReader	rd = {str, str, "activity_lifecycle",
	"{\"v\":1,\"period\":\"month\",\"from\":\"YYYY-MM-DD\",\"cells\":[[new,returning,resurrecting,dormant],...]}"};
	ActivityData *a;
	char		name[16];
	const char *pos;
	int			unit;
	int32		first_day;
	int			n = 0,
				cap = 16;
	ActivityCell *cells;

	lc_expect_version(&rd, ACTIVITY_VERSION);
	lc_expect(&rd, "\"period\"");
	lc_expect(&rd, ":");
	lc_skip_space(&rd);
	pos = rd.p;
	lc_parse_string(&rd, name, sizeof(name), "a period name");
	unit = ActivityParseUnit(name);
	if (unit < 0 || strcmp(name, lc_unit_names[unit]) != 0)
		lc_value_error(&rd, pos, "period must be day, week, month, quarter or year");
	lc_expect(&rd, ",");
	lc_expect(&rd, "\"from\"");
	lc_expect(&rd, ":");
	lc_skip_space(&rd);
	pos = rd.p;
	first_day = lc_parse_date(&rd);
	if (lc_calendar_start(lc_calendar_index(first_day, unit), unit) != first_day)
		lc_value_error(&rd, pos, "\"from\" is not the first day of a period");
	lc_expect(&rd, ",");
	lc_expect(&rd, "\"cells\"");
	lc_expect(&rd, ":");
	lc_expect(&rd, "[");
	cells = palloc(sizeof(ActivityCell) * cap);
	do
	{
		ActivityCell *c;

		if (n >= ACTIVITY_MAX_PERIODS)
			lc_value_error(&rd, rd.p, "too many periods");
		if (n == cap)
		{
			cap *= 2;
			cells = repalloc(cells, sizeof(ActivityCell) * cap);
		}
		c = &cells[n++];
		lc_expect(&rd, "[");
		c->new_ = lc_parse_int(&rd, 0, PG_INT64_MAX, "a count of new customers");
		lc_expect(&rd, ",");
		c->returning = lc_parse_int(&rd, 0, PG_INT64_MAX, "a count of returning customers");
		lc_expect(&rd, ",");
		c->resurrecting = lc_parse_int(&rd, 0, PG_INT64_MAX, "a count of resurrecting customers");
		lc_expect(&rd, ",");
		c->dormant = lc_parse_int(&rd, 0, PG_INT64_MAX, "a count of dormant customers");
		lc_expect(&rd, "]");
	} while (lc_accept(&rd, ","));
	lc_expect(&rd, "]");
	lc_expect(&rd, "}");
	lc_expect_end(&rd);

	a = ActivityAlloc(unit, first_day, n);
	memcpy(a->cells, cells, sizeof(ActivityCell) * n);
	ActivityCheckCells(a, ERRCODE_INVALID_PARAMETER_VALUE);
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(lifecycle_activity_out);

/*
 * lifecycle_activity_out - canonical text form (exact round trip).
 */
Datum
lifecycle_activity_out(PG_FUNCTION_ARGS)
{
	ActivityData *a = ActivityCheck(PG_GETARG_ACTIVITY_P(0));
	StringInfoData buf;
	char		daybuf[LC_DAYBUF];

	lc_format_day(a->first_day, daybuf);
	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"v\":%d,\"period\":\"%s\",\"from\":\"%s\",\"cells\":[",
					 ACTIVITY_VERSION, lc_unit_names[a->unit], daybuf);
	for (int k = 0; k < a->nperiods; k++)
	{
		const ActivityCell *c = &a->cells[k];

		appendStringInfo(&buf, "%s[" INT64_FORMAT "," INT64_FORMAT "," INT64_FORMAT "," INT64_FORMAT "]",
						 k > 0 ? "," : "", c->new_, c->returning, c->resurrecting, c->dormant);
	}
	appendStringInfoString(&buf, "]}");
	PG_RETURN_CSTRING(buf.data);
}

PG_FUNCTION_INFO_V1(lifecycle_activity_send);

/*
 * lifecycle_activity_send - binary output.
 */
Datum
lifecycle_activity_send(PG_FUNCTION_ARGS)
{
	ActivityData *a = ActivityCheck(PG_GETARG_ACTIVITY_P(0));
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, ACTIVITY_VERSION);
	pq_sendbyte(&buf, a->unit);
	pq_sendint32(&buf, a->first_day);
	pq_sendint32(&buf, a->nperiods);
	for (int k = 0; k < a->nperiods; k++)
	{
		pq_sendint64(&buf, a->cells[k].new_);
		pq_sendint64(&buf, a->cells[k].returning);
		pq_sendint64(&buf, a->cells[k].resurrecting);
		pq_sendint64(&buf, a->cells[k].dormant);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(lifecycle_activity_recv);

/*
 * lifecycle_activity_recv - binary input; validates every field before
 * allocating and rejects trailing bytes.
 */
Datum
lifecycle_activity_recv(PG_FUNCTION_ARGS)
{
	StringInfo	msg = (StringInfo) PG_GETARG_POINTER(0);
	ActivityData *a;
	int			version,
				unit,
				n;
	int32		first_day;

	lc_recv_need(msg, 1 + 1 + 4 + 4, "activity_lifecycle");
	version = pq_getmsgbyte(msg);
	if (version != ACTIVITY_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported activity_lifecycle binary version %d", version)));
	unit = pq_getmsgbyte(msg);
	first_day = pq_getmsgint(msg, 4);
	n = pq_getmsgint(msg, 4);
	if (unit < AU_DAY || unit > AU_YEAR ||
		first_day < ACTIVITY_MIN_DAY || first_day > ACTIVITY_MAX_DAY ||
		lc_calendar_start(lc_calendar_index(first_day, unit), unit) != first_day)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid activity_lifecycle period in binary input")));
	if (n < 1 || n > ACTIVITY_MAX_PERIODS ||
		(Size) n * 32 != (Size) (msg->len - msg->cursor))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid activity_lifecycle length in binary input")));
	a = ActivityAlloc(unit, first_day, n);
	for (int k = 0; k < n; k++)
	{
		a->cells[k].new_ = pq_getmsgint64(msg);
		a->cells[k].returning = pq_getmsgint64(msg);
		a->cells[k].resurrecting = pq_getmsgint64(msg);
		a->cells[k].dormant = pq_getmsgint64(msg);
	}
	pq_getmsgend(msg);
	ActivityCheckCells(a, ERRCODE_INVALID_BINARY_REPRESENTATION);
	PG_RETURN_POINTER(a);
}

/* ----------------------------------------------------------------
 * Accessors
 * ----------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(lifecycle_activity_table);

/*
 * lifecycle_activity_table - activity_lifecycle_table(x): one row per
 * period of the range (period_start, new, returning, resurrecting,
 * dormant, active), zeros included; dormant is a positive count.
 */
Datum
lifecycle_activity_table(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ActivityData *a = ActivityCheck(PG_GETARG_ACTIVITY_P(0));
	int64		base = lc_calendar_index(a->first_day, a->unit);

	InitMaterializedSRF(fcinfo, 0);
	for (int k = 0; k < a->nperiods; k++)
	{
		Datum		values[6];
		bool		nulls[6] = {0};
		const ActivityCell *c = &a->cells[k];

		values[0] = DateADTGetDatum(lc_calendar_start(base + k, a->unit));
		values[1] = Int64GetDatum(c->new_);
		values[2] = Int64GetDatum(c->returning);
		values[3] = Int64GetDatum(c->resurrecting);
		values[4] = Int64GetDatum(c->dormant);
		values[5] = Int64GetDatum(c->new_ + c->returning + c->resurrecting);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(lifecycle_activity_period);

/*
 * lifecycle_activity_period - activity_lifecycle_period(x): the period
 * the value was built with.
 */
Datum
lifecycle_activity_period(PG_FUNCTION_ARGS)
{
	ActivityData *a = ActivityCheck(PG_GETARG_ACTIVITY_P(0));

	PG_RETURN_TEXT_P(cstring_to_text(lc_unit_names[a->unit]));
}
