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

#include <ctype.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
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
	PG_RETURN_ARRAYTYPE_P(RStateResult(RStateCheck((RetentionState *) PG_GETARG_POINTER(0))));
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

	lc_expect(&rd, "{");
	lc_expect(&rd, "\"v\"");
	lc_expect(&rd, ":");
	lc_skip_space(&rd);
	pos = rd.p;
	if (lc_parse_int(&rd, 0, 255, "a version") != RSTATE_VERSION)
		lc_value_error(&rd, pos, "unsupported version");
	lc_expect(&rd, ",");
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
