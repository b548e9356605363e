/*-------------------------------------------------------------------------
 *
 * profile.c
 *	  The customer_profile summary type: its text and binary forms, the
 *	  customer_profile() and rollup() aggregates, and the accessors that
 *	  read a profile (first/last purchase, recency, tenure, btyd_summary...).
 *
 * A profile is the set of a customer's distinct purchase days, each with
 * the number of transactions that day, how many of them carried a known
 * amount, and the sum of those amounts.  Same-day purchases collapse into
 * one purchase day, the convention of the BTYD literature.
 *
 * Conventions (documented in the README):
 *	- NULL timestamp: the row is ignored.
 *	- NULL amount: the row counts as a transaction with unknown spend; spend
 *	  figures cover the priced rows only and are NULL when there are none.
 *	- negative amount: a refund, netted into that day's spend; the row still
 *	  counts as a transaction, exactly as lifetimes counts it.
 *	- NaN or infinite amounts, infinite timestamps: an error.
 *	- as_of arguments are resolved to a day (the UTC day of a timestamptz);
 *	  purchases on that day count, later ones are ignored.
 *
 *-------------------------------------------------------------------------
 */
#include "lifecycle.h"

#include <ctype.h>
#include <math.h>

#include "access/htup_details.h"
#include "common/shortest_dec.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"

PG_MODULE_MAGIC;

/* supported day range: 0001-01-01 .. 294276-12-31 (the timestamp range) */
#define LC_MIN_DAY		(1721426 - POSTGRES_EPOCH_JDATE)	/* date2j(1,1,1) */
#define LC_MAX_DAY		(TIMESTAMP_END_JULIAN - POSTGRES_EPOCH_JDATE - 1)

StaticAssertDecl(offsetof(ProfileData, days) == 16 && sizeof(ProfileDay) == 24,
				 "customer_profile layout changed: bump PROFILE_VERSION");

/* initial capacity (days) of a profile built by the aggregate */
#define PROFILE_INITIAL_CAPACITY	1	/* 16 + 24 bytes: most customers buy on one day */

static ProfileData *ProfileAlloc(int capacity);
static ProfileData *ProfileGrow(ProfileData *p, int need);
static void ProfileCompact(ProfileData *p);
static ProfileData *ProfileMakeCanonical(const ProfileData *src);
static void ProfileCheckSpend(const ProfileData *p);
static ProfileData *ProfileAddRow(ProfileData *state, int32 day,
								  bool priced, float8 amount);
static ProfileData *ProfileMergeInto(ProfileData *state,
									 const ProfileData *other);
static void ProfileCheckDay(const ProfileDay *d, int32 prevday, int errcode_);
static int	DayLowerBound(const ProfileData *p, int k, int32 day);


/* ----------------------------------------------------------------
 * Day arithmetic and argument helpers
 * ----------------------------------------------------------------
 */

/*
 * lc_timestamp_day - the day (since 2000-01-01) holding a finite timestamp.
 *
 * timestamptz and timestamp share the representation, so for timestamptz
 * this is the UTC day and for timestamp the wall-clock day.
 */
int32
lc_timestamp_day(Timestamp ts)
{
	int64		day;

	if (TIMESTAMP_NOT_FINITE(ts))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("infinite timestamps cannot be placed on a day"),
				 errhint("Filter them out, for example with WHERE isfinite(ts).")));
	day = ts / USECS_PER_DAY;
	if (ts < 0 && ts % USECS_PER_DAY != 0)
		day--;
	if (day < LC_MIN_DAY || day > LC_MAX_DAY)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range for customer lifecycle data"),
				 errhint("Dates must lie between 0001-01-01 and 294276-12-31.")));
	return (int32) day;
}

/*
 * lc_date_day - validate a date and return its day number.
 */
int32
lc_date_day(DateADT d, const char *argname)
{
	if (DATE_NOT_FINITE(d))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("%s must be a finite date", argname),
				 errhint("Filter out infinite values, for example with WHERE isfinite(d).")));
	if (d < LC_MIN_DAY || d > LC_MAX_DAY)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("%s out of range for customer lifecycle data", argname),
				 errhint("Dates must lie between 0001-01-01 and 294276-12-31.")));
	return (int32) d;
}

/*
 * lc_arg_day - the day of a date, timestamp or timestamptz argument.
 *
 * The SQL declarations overload as_of-like arguments on date and
 * timestamptz and point at one C function; the declared argument type tells
 * which one we got.  The caller has checked the argument is not NULL.
 */
int32
lc_arg_day(FunctionCallInfo fcinfo, int argno, const char *argname)
{
	Oid			typid = get_fn_expr_argtype(fcinfo->flinfo, argno);

	if (typid == DATEOID)
		return lc_date_day(PG_GETARG_DATEADT(argno), argname);
	if (typid == TIMESTAMPTZOID || typid == TIMESTAMPOID || !OidIsValid(typid))
	{
		Timestamp	ts = PG_GETARG_TIMESTAMP(argno);

		if (TIMESTAMP_NOT_FINITE(ts))
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("%s must be finite", argname),
					 errhint("Pass a real date; without %s the accessors use all purchases.",
							 argname)));
		return lc_timestamp_day(ts);
	}
	elog(ERROR, "unexpected type %u for argument %s", typid, argname);
	return 0;					/* keep compiler quiet */
}

/*
 * lc_day_minus_interval - first day whose distance back from "day" is
 * within "span".
 *
 * A day d is within the span of day D when D 00:00 - span <= d 00:00, so
 * the answer is the ceiling of (D - span) in days.  Months are calendar
 * months ('1 month' before 2024-03-31 is 2024-02-29), as in date arithmetic.
 */
int32
lc_day_minus_interval(int32 day, Interval *span)
{
	Timestamp	start = (Timestamp) day * USECS_PER_DAY;
	Timestamp	cut;
	int64		cutday;

	if (span->month == 0 && span->time == 0)
		cutday = (int64) day - span->day;
	else
	{
		cut = DatumGetTimestamp(DirectFunctionCall2(timestamp_mi_interval,
													TimestampGetDatum(start),
													IntervalPGetDatum(span)));
		/* C division truncates toward zero, which is the ceiling below 0 */
		cutday = cut / USECS_PER_DAY;
		if (cut > 0 && cut % USECS_PER_DAY != 0)
			cutday++;
	}
	return (int32) Max(Min(cutday, (int64) PG_INT32_MAX), (int64) PG_INT32_MIN);
}

/*
 * lc_calendar_start - first day of the calendar period (unit) with the
 * given lc_calendar_index.
 */
int32
lc_calendar_start(int64 index, int unit)
{
	/* floor division for periods before year 0 */
	int64		y12 = (index >= 0 ? index : index - 11) / 12;
	int64		y4 = (index >= 0 ? index : index - 3) / 4;

	switch (unit)
	{
		case LC_UNIT_DAY:
			return (int32) index;
		case LC_UNIT_WEEK:
			return (int32) (index * 7 + 2);
		case LC_UNIT_MONTH:
			return date2j((int) y12, (int) (index - y12 * 12) + 1, 1) - POSTGRES_EPOCH_JDATE;
		case LC_UNIT_QUARTER:
			return date2j((int) y4, (int) (index - y4 * 4) * 3 + 1, 1) - POSTGRES_EPOCH_JDATE;
		default:
			return date2j((int) index, 1, 1) - POSTGRES_EPOCH_JDATE;
	}
}

/* the calendar units' names, indexed by LC_UNIT_* */
const char *const lc_unit_names[] = {
	"", "day", "week", "month", "quarter", "year"
};

/*
 * lc_parse_period - parse a period name: "day", "week", "month", "quarter"
 * or "year" gives LC_UNIT_*; "<n> days" or "<n> weeks" (1 to 36600 days)
 * gives 0 with the block length in *block_days.  Case and surrounding
 * spaces are ignored.  Returns -1 for anything else.
 */
int
lc_parse_period(const char *s, int32 *block_days)
{
	char		word[16];
	int			n = 0;
	int64		num = 0;
	bool		has_num = false;
	const char *p = s;

	while (isspace((unsigned char) *p))
		p++;
	while (isdigit((unsigned char) *p))
	{
		has_num = true;
		if (num <= 1000000)
			num = num * 10 + (*p - '0');
		p++;
	}
	while (isspace((unsigned char) *p))
		p++;
	while (isalpha((unsigned char) *p) && n < (int) sizeof(word) - 1)
		word[n++] = tolower((unsigned char) *p++);
	word[n] = '\0';
	while (isspace((unsigned char) *p))
		p++;
	if (*p != '\0')
		return -1;
	if (!has_num)
	{
		for (int u = LC_UNIT_DAY; u <= LC_UNIT_YEAR; u++)
			if (strcmp(word, lc_unit_names[u]) == 0)
				return u;
		return -1;
	}
	if (strcmp(word, "week") == 0 || strcmp(word, "weeks") == 0)
		num = num * 7;
	else if (strcmp(word, "day") != 0 && strcmp(word, "days") != 0)
		return -1;
	if (num < 1 || num > 36600)
		return -1;
	*block_days = (int32) num;
	return 0;
}

/*
 * lc_interval_days - length of an interval in days, for units and
 * proportional thresholds.  A month counts as 30 days, as in interval
 * comparison.
 */
double
lc_interval_days(Interval *span, const char *argname)
{
	return span->month * 30.0 + span->day + (double) span->time / USECS_PER_DAY;
}

/*
 * lc_format_day - write a day as YYYY-MM-DD, independent of DateStyle.
 */
void
lc_format_day(int32 day, char *buf)
{
	int			y,
				m,
				d;

	j2date(day + POSTGRES_EPOCH_JDATE, &y, &m, &d);
	snprintf(buf, LC_DAYBUF, "%04d-%02d-%02d", y, m, d);
}


/* ----------------------------------------------------------------
 * Profile memory management
 * ----------------------------------------------------------------
 */

/*
 * ProfileAlloc - a zeroed, empty profile with room for "capacity" days,
 * allocated in the current memory context.
 */
static ProfileData *
ProfileAlloc(int capacity)
{
	ProfileData *p;

	if (capacity > PROFILE_MAX_DAYS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("customer profile would exceed %d purchase days",
						PROFILE_MAX_DAYS)));
	p = palloc0(PROFILE_SIZE(capacity));
	SET_VARSIZE(p, PROFILE_SIZE(capacity));
	p->version = PROFILE_VERSION;
	return p;
}

/*
 * ProfileGrow - a copy of p with room for at least "need" days (at least
 * double the old capacity, so appends stay O(1) amortised).
 *
 * The copy is made in the current memory context and the old value is left
 * alone: inside an aggregate, nodeAgg copies the returned state into the
 * aggregate context and frees the previous one itself.
 */
static ProfileData *
ProfileGrow(ProfileData *p, int need)
{
	int64		cap = Max((int64) PROFILE_CAPACITY(p) * 2, (int64) need);
	Size		bytes = 64;
	ProfileData *n;

	/*
	 * Fill a power-of-two allocation (what palloc hands out anyway): 2 days in
	 * 64 bytes, 4 in 128, 10 in 256, 20 in 512, ...
	 */
	while (bytes < PROFILE_SIZE(cap))
		bytes *= 2;
	cap = (bytes - PROFILE_HDRSZ) / sizeof(ProfileDay);
	if (cap > PROFILE_MAX_DAYS)
		cap = Max(need, PROFILE_MAX_DAYS);
	n = ProfileAlloc((int) cap);
	memcpy(n, p, PROFILE_SIZE(p->ndays));
	SET_VARSIZE(n, PROFILE_SIZE(cap));
	n->flags &= ~PROFILE_CANONICAL;
	return n;
}

/*
 * DayCmp - qsort comparator ordering days ascending.
 */
static int
DayCmp(const void *a, const void *b)
{
	int32		da = ((const ProfileDay *) a)->day;
	int32		db = ((const ProfileDay *) b)->day;

	return (da > db) - (da < db);
}

/*
 * MergeDay - add the counts and spend of src into dst (same day).
 */
static inline void
MergeDay(ProfileDay *dst, const ProfileDay *src)
{
	if ((int64) dst->ntrans + src->ntrans > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("more than %d transactions on one day of one customer",
						PG_INT32_MAX),
				 errhint("Check the GROUP BY: a profile summarises one customer.")));
	dst->ntrans += src->ntrans;
	dst->npriced += src->npriced;
	dst->spend += src->spend;
}

/*
 * ProfileCompact - sort the unsorted tail and merge it into the sorted
 * prefix in place, collapsing equal days.  O(n log n) in the tail, O(n)
 * in the prefix.
 */
static void
ProfileCompact(ProfileData *p)
{
	int			nsorted = p->nsorted;
	int			ntail = p->ndays - nsorted;
	ProfileDay *tail;
	ProfileDay *out;
	int			i = 0,
				j = 0,
				n = 0;

	if (ntail == 0)
		return;
	tail = p->days + nsorted;

	/*
	 * Fast paths, common when combining the partial states of parallel
	 * workers: a tail that is already sorted and entirely after the prefix
	 * just joins it; a single tail day is inserted in place.
	 */
	{
		bool		sorted = true;

		for (int k = 1; k < ntail && sorted; k++)
			sorted = tail[k - 1].day < tail[k].day;
		if (sorted && (nsorted == 0 || p->days[nsorted - 1].day < tail[0].day))
		{
			p->nsorted = p->ndays;
			return;
		}
		if (ntail == 1)
		{
			ProfileDay	d = tail[0];
			int			pos = DayLowerBound(p, nsorted, d.day);

			if (pos < nsorted && p->days[pos].day == d.day)
			{
				MergeDay(&p->days[pos], &d);
				p->ndays = p->nsorted = nsorted;
			}
			else
			{
				memmove(&p->days[pos + 1], &p->days[pos],
						sizeof(ProfileDay) * (nsorted - pos));
				p->days[pos] = d;
				p->ndays = p->nsorted = nsorted + 1;
			}
			return;
		}
		if (!sorted)
			qsort(tail, ntail, sizeof(ProfileDay), DayCmp);
	}
	out = palloc(sizeof(ProfileDay) * p->ndays);

	while (i < nsorted || j < ntail)
	{
		const ProfileDay *next;

		if (j >= ntail || (i < nsorted && p->days[i].day <= tail[j].day))
			next = &p->days[i++];
		else
			next = &tail[j++];

		if (n > 0 && out[n - 1].day == next->day)
			MergeDay(&out[n - 1], next);
		else
			out[n++] = *next;
	}
	memcpy(p->days, out, sizeof(ProfileDay) * n);
	pfree(out);
	p->ndays = n;
	p->nsorted = n;
}

/*
 * ProfileCheckSpend - the total spend must be a finite float8, so that
 * every accessor can sum the days without overflowing.
 */
static void
ProfileCheckSpend(const ProfileData *p)
{
	float8		spend = 0;

	for (int i = 0; i < p->ndays; i++)
		spend += p->days[i].spend;
	if (!isfinite(spend))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("total spend of a customer profile overflows float8"),
				 errhint("Check the amount column: a customer's total spend must stay below 1e308.")));
}

/*
 * ProfileMakeCanonical - a new canonical (sorted, distinct, trimmed) copy
 * of any profile, in the current memory context.
 */
static ProfileData *
ProfileMakeCanonical(const ProfileData *src)
{
	ProfileData *p = ProfileAlloc(src->ndays);

	memcpy(p->days, src->days, sizeof(ProfileDay) * src->ndays);
	p->ndays = src->ndays;
	p->nsorted = src->nsorted;
	ProfileCompact(p);
	SET_VARSIZE(p, PROFILE_SIZE(p->ndays));
	ProfileCheckSpend(p);
	p->flags = PROFILE_CANONICAL;
	return p;
}

/*
 * ProfileCheckVersion - reject a datum whose layout this build cannot read.
 * Layout 1 (a 24-byte header) only existed in development builds before
 * the first release; the text and binary forms of those values are
 * unchanged, so they move over as text.
 */
static void
ProfileCheckVersion(const ProfileData *p)
{
	if (p->version != PROFILE_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("customer_profile has unknown storage layout version %d",
						p->version),
				 errhint("Rebuild the profile with customer_profile(), or move it as text (its text form is unchanged).")));
}

/*
 * profile_get_canonical - detoast argument "argno" and return it in
 * canonical form (a transient aggregate state is normalised into a copy).
 */
ProfileData *
profile_get_canonical(FunctionCallInfo fcinfo, int argno)
{
	ProfileData *p = PG_GETARG_PROFILE_P(argno);

	ProfileCheckVersion(p);
	if (p->flags & PROFILE_CANONICAL)
		return p;
	return ProfileMakeCanonical(p);
}

/*
 * profile_days_upto - number of days of a canonical profile on or before
 * "day" (binary search).
 */
int
profile_days_upto(const ProfileData *p, int32 day)
{
	int			lo = 0,
				hi = p->ndays;

	if (hi > 0 && p->days[hi - 1].day <= day)
		return hi;
	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (p->days[mid].day <= day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * DayLowerBound - index of the first of the first k days that is >= day.
 */
static int
DayLowerBound(const ProfileData *p, int k, int32 day)
{
	int			lo = 0,
				hi = k;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (p->days[mid].day < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}


/* ----------------------------------------------------------------
 * Text and binary forms
 *
 * Text (canonical, valid JSON, independent of DateStyle and
 * extra_float_digits, shortest exact float8):
 *	 {"v":1,"days":[["2024-01-03",2,2,35.5],["2024-02-10",1,0,0]]}
 * each day being [date, transactions, priced transactions, spend].
 *
 * Binary: uint8 version, int32 ndays, then per day int32 day (since
 * 2000-01-01), int32 transactions, int32 priced, float8 spend; network
 * byte order.
 * ----------------------------------------------------------------
 */

/*
 * ProfileCheckDay - validate one day read from text or binary input
 * against the previous day; errors carry the given SQLSTATE.
 */
static void
ProfileCheckDay(const ProfileDay *d, int32 prevday, int errcode_)
{
	if (d->day < LC_MIN_DAY || d->day > LC_MAX_DAY)
		ereport(ERROR,
				(errcode(errcode_),
				 errmsg("invalid customer_profile: day out of range"),
				 errhint("Dates must lie between 0001-01-01 and 294276-12-31.")));
	if (d->day <= prevday)
		ereport(ERROR,
				(errcode(errcode_),
				 errmsg("invalid customer_profile: days must be strictly ascending"),
				 errhint("Each purchase day appears once, in date order; merge duplicates with rollup().")));
	if (d->ntrans < 1)
		ereport(ERROR,
				(errcode(errcode_),
				 errmsg("invalid customer_profile: a purchase day needs at least one transaction")));
	if (d->npriced < 0 || d->npriced > d->ntrans)
		ereport(ERROR,
				(errcode(errcode_),
				 errmsg("invalid customer_profile: priced transactions must lie between 0 and the day's transactions")));
	if (!isfinite(d->spend))
		ereport(ERROR,
				(errcode(errcode_),
				 errmsg("invalid customer_profile: spend must be finite")));
	if (d->npriced == 0 && d->spend != 0)
		ereport(ERROR,
				(errcode(errcode_),
				 errmsg("invalid customer_profile: a day without priced transactions must have spend 0")));
}

PG_FUNCTION_INFO_V1(lifecycle_profile_in);

/*
 * lifecycle_profile_in - parse the canonical text form, strictly.
 */
Datum
lifecycle_profile_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	LcReader	ps = {str, str, "customer_profile",
		"{\"v\":1,\"days\":[[\"2024-01-31\",transactions,priced,spend],...]}"};
	ProfileData *p;
	int			cap = 8;
	int32		prevday = PG_INT32_MIN;

	p = ProfileAlloc(cap);
	lc_expect(&ps, "{");
	lc_expect(&ps, "\"v\"");
	lc_expect(&ps, ":");
	{
		const char *vpos;

		lc_skip_space(&ps);
		vpos = ps.p;
		if (lc_parse_int(&ps, 0, 255, "a version") != PROFILE_FORM_VERSION)
		{
			ps.p = vpos;
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unsupported customer_profile version in \"%s\"", str),
					 errhint("This release reads version %d.", PROFILE_FORM_VERSION)));
		}
	}
	lc_expect(&ps, ",");
	lc_expect(&ps, "\"days\"");
	lc_expect(&ps, ":");
	lc_expect(&ps, "[");
	if (lc_accept(&ps, "]"))
	{
		/*
		 * The empty profile (no purchase yet) is the aggregates' initial
		 * value: it keeps room for one day so that a customer's first row
		 * needs no new allocation.
		 */
		lc_expect(&ps, "}");
		lc_expect_end(&ps);
		p = ProfileAlloc(PROFILE_INITIAL_CAPACITY);
		p->flags = PROFILE_CANONICAL;
		PG_RETURN_POINTER(p);
	}
	do
	{
		ProfileDay	day = {0};

		lc_expect(&ps, "[");
		day.day = lc_parse_date(&ps);
		lc_expect(&ps, ",");
		day.ntrans = (int32) lc_parse_int(&ps, 1, PG_INT32_MAX, "a transaction count");
		lc_expect(&ps, ",");
		day.npriced = (int32) lc_parse_int(&ps, 0, PG_INT32_MAX, "a priced transaction count");
		lc_expect(&ps, ",");
		day.spend = lc_parse_float(&ps, "spend");
		lc_expect(&ps, "]");
		ProfileCheckDay(&day, prevday, ERRCODE_INVALID_PARAMETER_VALUE);
		prevday = day.day;
		if (p->ndays == cap)
		{
			p = ProfileGrow(p, cap * 2);
			cap = PROFILE_CAPACITY(p);
		}
		p->days[p->ndays++] = day;
	} while (lc_accept(&ps, ","));
	lc_expect(&ps, "]");
	lc_expect(&ps, "}");
	lc_expect_end(&ps);

	p->nsorted = p->ndays;
	PG_RETURN_POINTER(ProfileMakeCanonical(p));
}

PG_FUNCTION_INFO_V1(lifecycle_profile_out);

/*
 * lifecycle_profile_out - canonical text form (exact round trip).
 */
Datum
lifecycle_profile_out(PG_FUNCTION_ARGS)
{
	ProfileData *p = profile_get_canonical(fcinfo, 0);
	StringInfoData buf;
	char		daybuf[LC_DAYBUF];

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"v\":%d,\"days\":[", PROFILE_FORM_VERSION);
	for (int i = 0; i < p->ndays; i++)
	{
		const ProfileDay *d = &p->days[i];

		lc_format_day(d->day, daybuf);
		appendStringInfo(&buf, "%s[\"%s\",%d,%d,", i > 0 ? "," : "",
						 daybuf, d->ntrans, d->npriced);
		lc_append_float(&buf, d->spend);
		appendStringInfoChar(&buf, ']');
	}
	appendStringInfoString(&buf, "]}");
	PG_RETURN_CSTRING(buf.data);
}

PG_FUNCTION_INFO_V1(lifecycle_profile_recv);

/*
 * lifecycle_profile_recv - binary input; validates every field and
 * rejects trailing bytes.
 */
Datum
lifecycle_profile_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			version;
	int32		ndays;
	int32		prevday = PG_INT32_MIN;
	ProfileData *p;

	if (buf->len - buf->cursor < 5)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid customer_profile: binary value too short")));
	version = pq_getmsgbyte(buf);
	if (version != PROFILE_FORM_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported customer_profile binary version %d", version)));
	ndays = pq_getmsgint(buf, 4);
	if (ndays < 0 || ndays > PROFILE_MAX_DAYS ||
		(int64) ndays * 20 != (int64) (buf->len - buf->cursor))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid customer_profile: %d days declared, %d bytes follow",
						ndays, buf->len - buf->cursor),
				 errhint("Each day takes 20 bytes.")));
	p = ProfileAlloc(ndays);
	for (int i = 0; i < ndays; i++)
	{
		ProfileDay *d = &p->days[i];

		d->day = pq_getmsgint(buf, 4);
		d->ntrans = pq_getmsgint(buf, 4);
		d->npriced = pq_getmsgint(buf, 4);
		d->spend = pq_getmsgfloat8(buf);
		ProfileCheckDay(d, prevday, ERRCODE_INVALID_BINARY_REPRESENTATION);
		prevday = d->day;
	}
	pq_getmsgend(buf);
	p->ndays = p->nsorted = ndays;
	ProfileCheckSpend(p);
	p->flags = PROFILE_CANONICAL;
	PG_RETURN_POINTER(p);
}

PG_FUNCTION_INFO_V1(lifecycle_profile_send);

/*
 * lifecycle_profile_send - binary output.
 */
Datum
lifecycle_profile_send(PG_FUNCTION_ARGS)
{
	ProfileData *p = profile_get_canonical(fcinfo, 0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, PROFILE_FORM_VERSION);
	pq_sendint32(&buf, p->ndays);
	for (int i = 0; i < p->ndays; i++)
	{
		pq_sendint32(&buf, p->days[i].day);
		pq_sendint32(&buf, p->days[i].ntrans);
		pq_sendint32(&buf, p->days[i].npriced);
		pq_sendfloat8(&buf, p->days[i].spend);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}


/* ----------------------------------------------------------------
 * Aggregates
 * ----------------------------------------------------------------
 */

/*
 * ProfileAddRow - record one transaction on "day" in a transition state.
 *
 * Modifies state in place when there is room and returns it, or returns a
 * grown copy.  Cost: O(1) when rows arrive in day order or repeat the last
 * day, O(log n) for a day already present, and otherwise an append to the
 * unsorted tail that is merged when the state fills up (amortised
 * O(log n)).  No row copies the whole state.
 */
static ProfileData *
ProfileAddRow(ProfileData *state, int32 day, bool priced, float8 amount)
{
	ProfileDay	row;

	row.day = day;
	row.ntrans = 1;
	row.npriced = priced ? 1 : 0;
	row.reserved = 0;
	row.spend = priced ? amount : 0;

	for (;;)
	{
		int			n = state->ndays;

		if (state->nsorted == n)
		{
			/* no tail: the common in-order cases */
			if (n > 0 && state->days[n - 1].day == day)
			{
				MergeDay(&state->days[n - 1], &row);
				return state;
			}
			if (n == 0 || state->days[n - 1].day < day)
			{
				if (n == PROFILE_CAPACITY(state))
					state = ProfileGrow(state, n + 1);
				state->days[n] = row;
				state->ndays = state->nsorted = n + 1;
				return state;
			}
		}

		/* already present among the sorted days? */
		{
			int			i = DayLowerBound(state, state->nsorted, day);

			if (i < state->nsorted && state->days[i].day == day)
			{
				MergeDay(&state->days[i], &row);
				return state;
			}
		}

		if (n < PROFILE_CAPACITY(state))
		{
			state->days[n] = row;
			state->ndays = n + 1;
			return state;
		}

		/* full: merge the tail, and grow only if that freed too little */
		if (state->nsorted < n)
		{
			ProfileCompact(state);
			if (state->ndays <= PROFILE_CAPACITY(state) / 2)
				continue;
		}
		state = ProfileGrow(state, state->ndays + 1);
	}
}

/*
 * TransCommon - shared body of the customer_profile transition functions.
 */
static Datum
TransCommon(FunctionCallInfo fcinfo, bool have_day, int32 day)
{
	ProfileData *state;
	bool		priced = false;
	float8		amount = 0;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "customer_profile transition function called in non-aggregate context");

	if (PG_ARGISNULL(0))
		state = NULL;
	else
	{
		state = (ProfileData *) PG_GETARG_POINTER(0);
		/* an initial value or toasted input is not ours to modify */
		if (VARATT_IS_EXTENDED(state))
			state = (ProfileData *) PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(0));
	}

	if (!have_day)
	{
		if (state == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(state);
	}

	if (PG_NARGS() > 2 && !PG_ARGISNULL(2))
	{
		amount = PG_GETARG_FLOAT8(2);
		if (!isfinite(amount))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("purchase amount must be finite, got %g", amount),
					 errhint("Use NULL for an unknown amount; NaN and infinity are not amounts.")));
		priced = true;
	}

	if (state == NULL)
		state = ProfileAlloc(PROFILE_INITIAL_CAPACITY);
	state->flags &= ~PROFILE_CANONICAL;
	PG_RETURN_POINTER(ProfileAddRow(state, day, priced, amount));
}

PG_FUNCTION_INFO_V1(lifecycle_profile_trans_ts);

/*
 * lifecycle_profile_trans_ts - transition for timestamp and timestamptz
 * (UTC day for timestamptz, wall-clock day for timestamp).
 */
Datum
lifecycle_profile_trans_ts(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(1))
		return TransCommon(fcinfo, false, 0);
	return TransCommon(fcinfo, true, lc_timestamp_day(PG_GETARG_TIMESTAMP(1)));
}

PG_FUNCTION_INFO_V1(lifecycle_profile_trans_date);

/*
 * lifecycle_profile_trans_date - transition for date.
 */
Datum
lifecycle_profile_trans_date(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(1))
		return TransCommon(fcinfo, false, 0);
	return TransCommon(fcinfo, true, lc_date_day(PG_GETARG_DATEADT(1), "purchase date"));
}

/*
 * ProfileMergeInto - add every day of "other" to "state" (which must be
 * writable); returns state or a grown copy.
 */
static ProfileData *
ProfileMergeInto(ProfileData *state, const ProfileData *other)
{
	int64		need = (int64) state->ndays + other->ndays;

	if (need > PROFILE_CAPACITY(state))
	{
		ProfileCompact(state);
		need = (int64) state->ndays + other->ndays;
		if (need > PROFILE_CAPACITY(state))
			state = ProfileGrow(state, (int) Min(need, (int64) PG_INT32_MAX));
	}
	memcpy(state->days + state->ndays, other->days,
		   sizeof(ProfileDay) * other->ndays);
	state->ndays += other->ndays;
	state->flags &= ~PROFILE_CANONICAL;
	ProfileCompact(state);
	if (state->ndays > PROFILE_MAX_DAYS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("customer profile would exceed %d purchase days",
						PROFILE_MAX_DAYS)));
	return state;
}

PG_FUNCTION_INFO_V1(lifecycle_profile_merge);

/*
 * lifecycle_profile_merge - combine function of customer_profile() and
 * transition function of rollup(customer_profile): the union of the
 * purchase days, with counts and spend of common days added.
 *
 * Declared STRICT: nodeAgg starts from a copy of the first non-NULL input.
 * Inside an aggregate the first argument is updated in place; called
 * directly it returns a new canonical profile.
 */
Datum
lifecycle_profile_merge(PG_FUNCTION_ARGS)
{
	ProfileData *state;
	ProfileData *other = PG_GETARG_PROFILE_P(1);

	ProfileCheckVersion(other);

	if (AggCheckCallContext(fcinfo, NULL))
	{
		state = (ProfileData *) PG_GETARG_POINTER(0);
		if (VARATT_IS_EXTENDED(state))
			state = (ProfileData *) PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(0));
		ProfileCheckVersion(state);
		PG_RETURN_POINTER(ProfileMergeInto(state, other));
	}

	state = profile_get_canonical(fcinfo, 0);
	state = ProfileGrow(state, state->ndays + other->ndays);
	state = ProfileMergeInto(state, other);
	PG_RETURN_POINTER(ProfileMakeCanonical(state));
}

PG_FUNCTION_INFO_V1(lifecycle_profile_final);

/*
 * lifecycle_profile_final - final function of customer_profile() and
 * rollup(): a canonical, trimmed copy of the state (the state itself is
 * left untouched, so the aggregate may be used as a window function).
 */
Datum
lifecycle_profile_final(PG_FUNCTION_ARGS)
{
	ProfileData *state;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = PG_GETARG_PROFILE_P(0);
	/* no row with a timestamp: no profile, as for an empty group */
	if (state->ndays == 0)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(ProfileMakeCanonical(state));
}


/* ----------------------------------------------------------------
 * Accessors
 *
 * All take a profile (NULL -> NULL, they are STRICT) and optionally an
 * as_of date or timestamptz; with as_of only purchase days on or before its
 * day count.
 * ----------------------------------------------------------------
 */

/*
 * AsOfCount - number of days that count: all, or those up to the as_of
 * argument when the function has one at position argno.
 */
static int
AsOfCount(FunctionCallInfo fcinfo, const ProfileData *p, int argno,
		  int32 *asof_day)
{
	int32		day;

	if (PG_NARGS() <= argno)
	{
		if (asof_day && p->ndays > 0)
			*asof_day = p->days[p->ndays - 1].day;
		return p->ndays;
	}
	day = lc_arg_day(fcinfo, argno, "as_of");
	if (asof_day)
		*asof_day = day;
	return profile_days_upto(p, day);
}

PG_FUNCTION_INFO_V1(lifecycle_first_purchase);

/*
 * lifecycle_first_purchase - the first purchase day.
 */
Datum
lifecycle_first_purchase(PG_FUNCTION_ARGS)
{
	ProfileData *p = profile_get_canonical(fcinfo, 0);

	if (p->ndays == 0)
		PG_RETURN_NULL();
	PG_RETURN_DATEADT(p->days[0].day);
}

PG_FUNCTION_INFO_V1(lifecycle_last_purchase);

/*
 * lifecycle_last_purchase - the last purchase day (on or before as_of).
 */
Datum
lifecycle_last_purchase(PG_FUNCTION_ARGS)
{
	ProfileData *p = profile_get_canonical(fcinfo, 0);
	int			k = AsOfCount(fcinfo, p, 1, NULL);

	if (k == 0)
		PG_RETURN_NULL();
	PG_RETURN_DATEADT(p->days[k - 1].day);
}

PG_FUNCTION_INFO_V1(lifecycle_purchase_days);

/*
 * lifecycle_purchase_days - number of distinct purchase days.
 */
Datum
lifecycle_purchase_days(PG_FUNCTION_ARGS)
{
	ProfileData *p = profile_get_canonical(fcinfo, 0);

	PG_RETURN_INT32(AsOfCount(fcinfo, p, 1, NULL));
}

PG_FUNCTION_INFO_V1(lifecycle_transactions);

/*
 * lifecycle_transactions - number of transactions (rows), all purchase
 * days together.
 */
Datum
lifecycle_transactions(PG_FUNCTION_ARGS)
{
	ProfileData *p = profile_get_canonical(fcinfo, 0);
	int			k = AsOfCount(fcinfo, p, 1, NULL);
	int64		n = 0;

	for (int i = 0; i < k; i++)
		n += p->days[i].ntrans;
	PG_RETURN_INT64(n);
}

/*
 * SpendUpto - total known spend and priced transactions of the first k
 * days.
 */
static void
SpendUpto(const ProfileData *p, int k, float8 *spend, int64 *npriced)
{
	*spend = 0;
	*npriced = 0;
	for (int i = 0; i < k; i++)
	{
		*spend += p->days[i].spend;
		*npriced += p->days[i].npriced;
	}
}

PG_FUNCTION_INFO_V1(lifecycle_total_spend);

/*
 * lifecycle_total_spend - sum of the known amounts (refunds netted);
 * NULL when no transaction had an amount.
 */
Datum
lifecycle_total_spend(PG_FUNCTION_ARGS)
{
	ProfileData *p = profile_get_canonical(fcinfo, 0);
	int			k = AsOfCount(fcinfo, p, 1, NULL);
	float8		spend;
	int64		npriced;

	SpendUpto(p, k, &spend, &npriced);
	if (npriced == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(spend);
}

PG_FUNCTION_INFO_V1(lifecycle_avg_order_value);

/*
 * lifecycle_avg_order_value - known spend per priced transaction; NULL
 * when no transaction had an amount.
 */
Datum
lifecycle_avg_order_value(PG_FUNCTION_ARGS)
{
	ProfileData *p = profile_get_canonical(fcinfo, 0);
	int			k = AsOfCount(fcinfo, p, 1, NULL);
	float8		spend;
	int64		npriced;

	SpendUpto(p, k, &spend, &npriced);
	if (npriced == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(spend / npriced);
}

PG_FUNCTION_INFO_V1(lifecycle_recency);

/*
 * lifecycle_recency - days from the last purchase on or before as_of to
 * as_of; NULL when there is none.
 */
Datum
lifecycle_recency(PG_FUNCTION_ARGS)
{
	ProfileData *p = profile_get_canonical(fcinfo, 0);
	int32		asof = 0;
	int			k = AsOfCount(fcinfo, p, 1, &asof);

	if (k == 0)
		PG_RETURN_NULL();
	PG_RETURN_INT32(asof - p->days[k - 1].day);
}

PG_FUNCTION_INFO_V1(lifecycle_tenure);

/*
 * lifecycle_tenure - days from the first purchase to as_of; NULL when
 * as_of precedes it.
 */
Datum
lifecycle_tenure(PG_FUNCTION_ARGS)
{
	ProfileData *p = profile_get_canonical(fcinfo, 0);
	int32		asof = 0;
	int			k = AsOfCount(fcinfo, p, 1, &asof);

	if (k == 0)
		PG_RETURN_NULL();
	PG_RETURN_INT32(asof - p->days[0].day);
}

/*
 * Float8Cmp - qsort comparator for doubles.
 */
static int
Float8Cmp(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/*
 * profile_typical_gap - median gap in days between consecutive purchase
 * days among the first k (k >= 2) days of a canonical profile.
 */
double
profile_typical_gap(const ProfileData *p, int k)
{
	int			n = k - 1;
	double	   *gaps;
	double		med;

	if (n == 1)
		return p->days[1].day - p->days[0].day;
	gaps = palloc(sizeof(double) * n);
	for (int i = 0; i < n; i++)
		gaps[i] = p->days[i + 1].day - p->days[i].day;
	qsort(gaps, n, sizeof(double), Float8Cmp);
	med = (n % 2) ? gaps[n / 2] : (gaps[n / 2 - 1] + gaps[n / 2]) / 2.0;
	pfree(gaps);
	return med;
}

PG_FUNCTION_INFO_V1(lifecycle_next_purchase_due);

/*
 * lifecycle_next_purchase_due - last purchase day plus the customer's
 * typical (median) gap, rounded half up to a day; NULL with fewer than
 * two purchase days.
 */
Datum
lifecycle_next_purchase_due(PG_FUNCTION_ARGS)
{
	ProfileData *p = profile_get_canonical(fcinfo, 0);
	int			k = AsOfCount(fcinfo, p, 1, NULL);
	int64		due;

	if (k < 2)
		PG_RETURN_NULL();
	due = (int64) p->days[k - 1].day + (int64) floor(profile_typical_gap(p, k) + 0.5);
	if (due > LC_MAX_DAY)
		PG_RETURN_NULL();
	PG_RETURN_DATEADT((DateADT) due);
}

PG_FUNCTION_INFO_V1(lifecycle_btyd_summary);

/*
 * lifecycle_btyd_summary - (frequency, recency, T, monetary) as of a day,
 * with exactly the semantics of lifetimes'
 * summary_data_from_transaction_data: frequency = purchase days - 1,
 * recency = last - first purchase day, T = as_of day - first purchase day
 * (both divided by the unit), monetary = mean spend of the repeat days
 * (0 without repeats; repeat days without a known amount are skipped, NULL
 * when none is priced).  NULL when there is no purchase by as_of.
 */
Datum
lifecycle_btyd_summary(PG_FUNCTION_ARGS)
{
	ProfileData *p = profile_get_canonical(fcinfo, 0);
	Interval   *unit = PG_GETARG_INTERVAL_P(2);
	double		unit_days;
	int32		asof = 0;
	int			k = AsOfCount(fcinfo, p, 1, &asof);
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	if (unit->month != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("btyd_summary unit must not contain months or years"),
				 errhint("Months differ in length; use a fixed unit such as '7 days' or '30 days'.")));
	unit_days = lc_interval_days(unit, "unit");
	if (!(unit_days > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("btyd_summary unit must be positive"),
				 errhint("Use '7 days' for weeks (the CDNOW convention) or '1 day'.")));
	if (k == 0)
		PG_RETURN_NULL();

	/* the blessed row descriptor is built once per call site */
	tupdesc = (TupleDesc) fcinfo->flinfo->fn_extra;
	if (tupdesc == NULL)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "btyd_summary must return a composite type");
		tupdesc = BlessTupleDesc(CreateTupleDescCopy(tupdesc));
		MemoryContextSwitchTo(oldcxt);
		fcinfo->flinfo->fn_extra = tupdesc;
	}

	values[0] = Int32GetDatum(k - 1);
	values[1] = Float8GetDatum((p->days[k - 1].day - p->days[0].day) / unit_days);
	values[2] = Float8GetDatum((asof - p->days[0].day) / unit_days);
	if (k == 1)
		values[3] = Float8GetDatum(0.0);
	else
	{
		float8		sum = 0;
		int			n = 0;

		for (int i = 1; i < k; i++)
		{
			if (p->days[i].npriced > 0)
			{
				sum += p->days[i].spend;
				n++;
			}
		}
		if (n == 0)
			nulls[3] = true;
		else
			values[3] = Float8GetDatum(sum / n);
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

PG_FUNCTION_INFO_V1(lifecycle_holdout_purchases);

/*
 * lifecycle_holdout_purchases - distinct purchase days in (from, to],
 * lifetimes' frequency_holdout.
 */
Datum
lifecycle_holdout_purchases(PG_FUNCTION_ARGS)
{
	ProfileData *p = profile_get_canonical(fcinfo, 0);
	int32		from = lc_arg_day(fcinfo, 1, "from");
	int32		to = lc_arg_day(fcinfo, 2, "to");

	if (to < from)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("holdout period ends before it starts"),
				 errhint("Pass the calibration end as \"from\" and the observation end as \"to\".")));
	PG_RETURN_INT32(profile_days_upto(p, to) - profile_days_upto(p, from));
}
