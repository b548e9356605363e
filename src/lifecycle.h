/*-------------------------------------------------------------------------
 *
 * lifecycle.h
 *	  Shared declarations of the lifecycle extension: the customer_profile
 *	  summary type, day arithmetic and argument helpers used by every domain.
 *
 * Days are counted as int32 days since the PostgreSQL epoch (2000-01-01),
 * the same numbering as the date type.  A timestamptz maps to its UTC day,
 * a timestamp to its wall-clock day.
 *
 *-------------------------------------------------------------------------
 */
#ifndef LIFECYCLE_H
#define LIFECYCLE_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/date.h"
#include "utils/timestamp.h"

#if PG_VERSION_NUM >= 160000
#include "varatt.h"
#endif

/* ----------------------------------------------------------------
 * customer_profile
 *
 * One customer's distinct purchase days.  In memory and on disk the value
 * is a varlena:
 *
 *	  ProfileData header (16 bytes, see below)
 *	  ProfileDay days[capacity]	(24 bytes each)
 *
 * where capacity follows from the varlena length.  A finished (canonical)
 * profile has its days sorted ascending and distinct, with capacity ==
 * nsorted == ndays.  The value is kept small because one state per
 * customer sits in the aggregate's hash table and partial states travel
 * between parallel workers and spill to disk: a one-day profile is 40
 * bytes.
 * Inside an aggregate the same layout doubles as the transition state: it
 * keeps spare capacity so appends are O(1) amortised, and days appended out
 * of order go to an unsorted tail [nsorted, ndays) that is merged on
 * demand.  Every function that reads a profile goes through
 * profile_get_canonical(), which normalises such a transient value.
 *
 * The datum is stored in native byte order like every built-in type; the
 * binary wire format (send/recv) is network order and the text format is
 * canonical, so values move between machines through those two.
 * ----------------------------------------------------------------
 */
#define PROFILE_VERSION		2		/* layout of the datum (version 1: 24-byte
									 * header of development builds) */
#define PROFILE_FORM_VERSION 1		/* text and binary wire forms */

/* flag bits */
#define PROFILE_CANONICAL	0x01	/* sorted, distinct, trimmed */

typedef struct ProfileDay
{
	int32		day;			/* days since 2000-01-01 */
	int32		ntrans;			/* transactions (rows) that day, >= 1 */
	int32		npriced;		/* of those, rows with a known amount */
	int32		reserved;		/* always 0 */
	float8		spend;			/* sum of known amounts (0 if npriced = 0) */
} ProfileDay;

typedef struct ProfileData
{
	int32		vl_len_;		/* varlena header, do not touch directly */
	uint8		version;		/* PROFILE_VERSION */
	uint8		flags;			/* PROFILE_* bits */
	uint16		reserved;		/* always 0 */
	int32		ndays;			/* entries in use */
	int32		nsorted;		/* entries [0, nsorted) sorted and distinct */
	ProfileDay	days[FLEXIBLE_ARRAY_MEMBER];
} ProfileData;

#define PROFILE_HDRSZ		offsetof(ProfileData, days)
#define PROFILE_SIZE(cap)	(PROFILE_HDRSZ + (Size) (cap) * sizeof(ProfileDay))
/* days allocated: whatever the varlena length holds */
#define PROFILE_CAPACITY(p) ((int) ((VARSIZE(p) - PROFILE_HDRSZ) / sizeof(ProfileDay)))
/* largest number of days a profile may hold (every day of ~27,000 years) */
#define PROFILE_MAX_DAYS	10000000

#define DatumGetProfileP(X)		((ProfileData *) PG_DETOAST_DATUM(X))
#define PG_GETARG_PROFILE_P(n)	DatumGetProfileP(PG_GETARG_DATUM(n))

/* profile.c */
extern ProfileData *profile_get_canonical(FunctionCallInfo fcinfo, int argno);
extern int	profile_days_upto(const ProfileData *p, int32 day);
extern double profile_typical_gap(const ProfileData *p, int k);

/* ----------------------------------------------------------------
 * Survival, sBG, RFM and NPS (survival.c, sbg.c, rfm.c)
 *
 * LcHist: a histogram of distinct (tag, key) cells with two int64
 * counters, the state of survival_curve (key = duration, a = events,
 * b = censored), of the sBG aggregate (the same) and of rfm_bins (tag =
 * dimension, key = value, a = customers) and nps (key = score).  Inside an
 * aggregate the cells are kept in arrival order with spare capacity and a
 * hash index after them, inside the varlena (LCHIST_INDEXED), so a row
 * costs O(1) amortised; canonical values (output, stored, combined
 * inputs) are sorted by (tag, key), without spare capacity or index.
 * ----------------------------------------------------------------
 */
#define LCHIST_VERSION		1

/* kinds (one per SQL type that uses the layout) */
#define LCHIST_SURVIVAL		1
#define LCHIST_RFM			2
#define LCHIST_NPS			3

#define LCHIST_CANONICAL	0x01	/* sorted, distinct, trimmed */
#define LCHIST_INDEXED		0x02	/* a hash index follows the entries */

typedef struct LcHistEntry
{
	float8		key;			/* duration, value or score */
	int32		tag;			/* dimension (RFM), else 0 */
	int32		reserved;		/* always 0 */
	int64		a;				/* events / customers / responses */
	int64		b;				/* censored (survival), else 0 */
} LcHistEntry;

typedef struct LcHist
{
	int32		vl_len_;		/* varlena header, do not touch directly */
	uint8		version;		/* LCHIST_VERSION */
	uint8		flags;			/* LCHIST_* bits */
	uint8		kind;			/* LCHIST_SURVIVAL, ... */
	uint8		reserved;		/* always 0 */
	int32		n;				/* entries in use */
	int32		nsorted;		/* entries [0, nsorted) sorted and distinct */
	int32		capacity;		/* entries allocated */
	int32		param;			/* bins (RFM), else 0 */
	LcHistEntry e[FLEXIBLE_ARRAY_MEMBER];
} LcHist;

#define LCHIST_HDRSZ		offsetof(LcHist, e)
#define LCHIST_SIZE(cap)	(LCHIST_HDRSZ + (Size) (cap) * sizeof(LcHistEntry))
#define LCHIST_SLOTS(h)		((int32 *) ((char *) (h) + LCHIST_SIZE((h)->capacity)))
/* at most 2^24 distinct cells: an indexed state (40 bytes a cell) stays below 1 GB */
#define LCHIST_MAX_ENTRIES	16777216

extern LcHist *lc_hist_alloc(int capacity, int kind);
extern LcHist *lc_hist_trans_state(FunctionCallInfo fcinfo, int kind);
extern LcHist *lc_hist_add(LcHist *h, int32 tag, float8 key, int64 a, int64 b);
extern LcHist *lc_hist_merge_into(LcHist *state, const LcHist *other);
extern LcHist *lc_hist_canonical(const LcHist *h);
extern LcHist *lc_hist_get(FunctionCallInfo fcinfo, int argno, int kind);
extern void lc_hist_check_kind(const LcHist *h, int kind);
extern int	lc_hist_tag_start(const LcHist *h, int32 tag);

/* ----------------------------------------------------------------
 * Day arithmetic and argument helpers (profile.c)
 * ----------------------------------------------------------------
 */
/*
 * lc_day_year_month - calendar year and month (1-12) of a day counted from
 * 2000-01-01, proleptic Gregorian like the date type; the same answer as
 * j2date with integer arithmetic only (400-year eras of 146097 days, years
 * counted from March so that the leap day ends a year).  Hot in per-day
 * loops (cohort and lifecycle periods), where j2date cost 15 % of a matrix.
 */
static inline void
lc_day_year_month(int32 day, int *year, int *month)
{
	int64		z = (int64) day + 730425;	/* days since 0000-03-01 */
	int64		era = (z >= 0 ? z : z - 146096) / 146097;
	int64		doe = z - era * 146097; /* day of the era, 0..146096 */
	int64		yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64		doy = doe - (365 * yoe + yoe / 4 - yoe / 100);	/* from March 1 */
	int64		mp = (5 * doy + 2) / 153;	/* month from March, 0..11 */

	*month = (int) (mp < 10 ? mp + 3 : mp - 9);
	*year = (int) (yoe + era * 400 + (*month <= 2 ? 1 : 0));
}

/*
 * lc_hash64 - a well-mixed 32-bit hash of 64 bits (the murmur3 finalizer),
 * for hash tables keyed by doubles, whose low bits are often all zero.
 */
static inline uint32
lc_hash64(uint64 a)
{
	a ^= a >> 33;
	a *= UINT64CONST(0xFF51AFD7ED558CCD);
	a ^= a >> 33;
	a *= UINT64CONST(0xC4CEB9FE1A85EC53);
	a ^= a >> 33;
	return (uint32) a;
}

/*
 * Calendar units, numbered as the retention and activity states store
 * them (never renumber): weeks start on Monday, like date_trunc('week').
 */
#define LC_UNIT_DAY		1
#define LC_UNIT_WEEK	2
#define LC_UNIT_MONTH	3
#define LC_UNIT_QUARTER	4
#define LC_UNIT_YEAR	5

/*
 * lc_calendar_index - monotone index of the calendar period (unit)
 * containing day; consecutive periods have consecutive indexes.
 */
static inline int64
lc_calendar_index(int32 day, int unit)
{
	int			y,
				m;

	switch (unit)
	{
		case LC_UNIT_DAY:
			return day;
		case LC_UNIT_WEEK:
			/* 2000-01-03 (day 2) was a Monday; floor division */
			return ((int64) day - 2 - (day < 2 ? 6 : 0)) / 7;
		default:
			lc_day_year_month(day, &y, &m);
			if (unit == LC_UNIT_MONTH)
				return (int64) y * 12 + (m - 1);
			if (unit == LC_UNIT_QUARTER)
				return (int64) y * 4 + (m - 1) / 3;
			return y;
	}
}

extern int32 lc_calendar_start(int64 index, int unit);
extern const char *const lc_unit_names[];
extern int	lc_parse_period(const char *s, int32 *block_days);
extern int32 lc_timestamp_day(Timestamp ts);
extern int32 lc_date_day(DateADT d, const char *argname);
extern int32 lc_arg_day(FunctionCallInfo fcinfo, int argno, const char *argname);
extern int32 lc_day_minus_interval(int32 day, Interval *span);
extern double lc_interval_days(Interval *span, const char *argname);
extern void lc_format_day(int32 day, char *buf);

/* length of a buffer lc_format_day writes into */
#define LC_DAYBUF	32

/* ----------------------------------------------------------------
 * Strict reader of the canonical text forms (textio.c)
 * ----------------------------------------------------------------
 */
#include "lib/stringinfo.h"

typedef struct LcReader
{
	const char *str;			/* whole input, for messages */
	const char *p;				/* current position */
	const char *typname;		/* type name for messages */
	const char *form;			/* the expected form, for hints */
} LcReader;

extern void lc_parse_error(LcReader *rd, const char *expected) pg_attribute_noreturn();
extern void lc_value_error(LcReader *rd, const char *pos, const char *what) pg_attribute_noreturn();
extern void lc_skip_space(LcReader *rd);
extern void lc_expect(LcReader *rd, const char *tok);
extern bool lc_accept(LcReader *rd, const char *tok);
extern void lc_expect_end(LcReader *rd);
extern void lc_expect_version(LcReader *rd, int version);
extern int64 lc_parse_int(LcReader *rd, int64 lo, int64 hi, const char *what);
extern float8 lc_parse_float(LcReader *rd, const char *what);
extern void lc_parse_string(LcReader *rd, char *buf, int buflen, const char *what);
extern int32 lc_parse_date(LcReader *rd);
extern void lc_append_float(StringInfo buf, float8 v);
extern void lc_recv_need(StringInfo msg, int bytes, const char *type_name);

/* ----------------------------------------------------------------
 * Event lists of funnel_state and sequence_state (events.c): 12 bytes
 * per event, an int64 timestamp and a uint32 step or condition mask,
 * unaligned; the text and binary forms carry Unix microseconds.
 * ----------------------------------------------------------------
 */
#define LC_EVENT_SIZE	12

/* an unpacked event with its sort key */
typedef struct LcEvent
{
	int64		ts;
	uint32		key;			/* bit-reversed mask: lowest step first on ties */
	uint32		mask;
} LcEvent;

/*
 * lc_event_get - read event i of a packed list.
 */
static inline void
lc_event_get(const char *events, int i, int64 *ts, uint32 *mask)
{
	const char *p = events + (Size) i * LC_EVENT_SIZE;

	memcpy(ts, p, sizeof(int64));
	memcpy(mask, p + sizeof(int64), sizeof(uint32));
}

/*
 * lc_event_put - write event i of a packed list.
 */
static inline void
lc_event_put(char *events, int i, int64 ts, uint32 mask)
{
	char	   *p = events + (Size) i * LC_EVENT_SIZE;

	memcpy(p, &ts, sizeof(int64));
	memcpy(p + sizeof(int64), &mask, sizeof(uint32));
}

extern LcEvent *lc_events_sorted(const char *events, int n);
extern void lc_events_write(StringInfo buf, const char *events, int n);
extern char *lc_events_read(LcReader *rd, int nbits, bool allow_zero,
							int max_events, const char *mask_what,
							const char *invalid, int *n);
extern void lc_events_send(StringInfo buf, const char *events, int n);
extern char *lc_events_recv(StringInfo msg, int nbits, bool allow_zero,
							int max_events, const char *type_name,
							const char *hint, int *n);

/* ----------------------------------------------------------------
 * Retention curves built by other domains (retention.c)
 * ----------------------------------------------------------------
 */
typedef struct RetentionData RetentionData;

extern int	lc_retention_period(const char *name, int32 *block_days);
extern char *lc_retention_period_name(int unit, int32 block_days);
extern RetentionData *lc_retention_new(int unit, int32 block_days);
extern RetentionData *lc_retention_add(RetentionData *r, const ProfileData *p,
									   int32 asof);
extern RetentionData *lc_retention_trimmed(const RetentionData *r);

/* activity_lifecycle states built by other domains (activity.c) */
typedef struct ActivityData ActivityData;

extern ActivityData *lc_activity_new(int unit, int32 from, int32 to);
extern void lc_activity_add(ActivityData *a, const ProfileData *p);

/* ----------------------------------------------------------------
 * Special functions (special.c)
 * ----------------------------------------------------------------
 */
extern double lc_digamma(double x);
extern double lc_logaddexp(double a, double b);

#endif							/* LIFECYCLE_H */
