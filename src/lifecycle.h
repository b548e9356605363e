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
 *	  ProfileData header (fixed-width fields, see below)
 *	  ProfileDay days[capacity]
 *
 * A finished (canonical) profile has its days sorted ascending and
 * distinct, with capacity == nsorted == ndays.  The header is kept small
 * (24 bytes) because one state per customer sits in the aggregate's hash
 * table: a header and four days fit a 128-byte allocation.
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
#define PROFILE_VERSION		1

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
	int32		capacity;		/* entries allocated */
	int32		reserved2;		/* always 0; keeps days[] 8-byte aligned */
	ProfileDay	days[FLEXIBLE_ARRAY_MEMBER];
} ProfileData;

#define PROFILE_HDRSZ		offsetof(ProfileData, days)
#define PROFILE_SIZE(cap)	(PROFILE_HDRSZ + (Size) (cap) * sizeof(ProfileDay))
/* largest number of days a profile may hold (every day of ~27,000 years) */
#define PROFILE_MAX_DAYS	10000000

#define DatumGetProfileP(X)		((ProfileData *) PG_DETOAST_DATUM(X))
#define PG_GETARG_PROFILE_P(n)	DatumGetProfileP(PG_GETARG_DATUM(n))

/* profile.c */
extern ProfileData *profile_get_canonical(FunctionCallInfo fcinfo, int argno);
extern int	profile_days_upto(const ProfileData *p, int32 day);
extern double profile_typical_gap(const ProfileData *p, int k);

/* ----------------------------------------------------------------
 * Day arithmetic and argument helpers (profile.c)
 * ----------------------------------------------------------------
 */
extern int32 lc_timestamp_day(Timestamp ts);
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
extern int64 lc_parse_int(LcReader *rd, int64 lo, int64 hi, const char *what);
extern float8 lc_parse_float(LcReader *rd, const char *what);
extern void lc_parse_string(LcReader *rd, char *buf, int buflen, const char *what);
extern int32 lc_parse_date(LcReader *rd);
extern void lc_append_float(StringInfo buf, float8 v);

/* ----------------------------------------------------------------
 * Special functions (special.c)
 * ----------------------------------------------------------------
 */
extern double lc_digamma(double x);
extern double lc_logaddexp(double a, double b);
extern double lc_log_hyp2f1(double a, double b, double c, double z);

#endif							/* LIFECYCLE_H */
