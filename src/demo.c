/*-------------------------------------------------------------------------
 *
 * demo.c
 *	  A deterministic demo-store generator: demo_customers() and
 *	  demo_orders(), used by make demo, make bench and the tests.
 *
 * Every customer i in 1..customers is drawn from a random stream seeded by
 * (seed, i) alone, so both functions agree with each other, results are the
 * same on every run and platform, and customer i does not depend on how many
 * customers are generated.  Draws, in this order:
 *
 *	  signup_date		uniform over [start_date, end_date]
 *	  channel			organic 35%, paid_search 25%, social 15%, email 10%,
 *						referral 10%, affiliate 5%
 *	  buyer?			by channel: 0.85, 0.80, 0.70, 0.90, 0.92, 0.75;
 *						non-buyers are prospects without orders
 *	  signup time		uniform time of day (UTC)
 *	  first purchase	signup + Exponential(mean 3 days); none if past end_date
 *	  lambda			Gamma(shape r, rate alpha), purchases per week
 *	  dropout p			Beta(a, b)
 *	  nu				Gamma(shape q, rate gamma)
 *
 * Repeat purchases follow BG/NBD (Fader, Hardie & Lee 2005): after the
 * first purchase, inter-purchase times are Exponential(lambda) weeks and
 * after each repeat purchase the customer drops out with probability p.
 * Each purchase is worth z ~ Gamma(shape p, rate nu) (the Gamma-Gamma spend
 * model; lifetimes calls the parameters p, q, v), rounded to cents.  With
 * probability 0.05 a purchase is split into two orders later the same UTC
 * day, so collapsing same-day orders gives back the purchase-day totals.
 * Channels affect acquisition and conversion only, never the purchase or
 * spend process, so buyers follow the model parameters exactly.  The
 * defaults are the published CDNOW estimates.  At most 10,000 orders per
 * customer.
 *
 *-------------------------------------------------------------------------
 */
#include "lifecycle.h"

#include <math.h>

#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/tuplestore.h"

#define DEMO_MAX_CUSTOMERS	100000000
#define DEMO_MAX_ORDERS		10000	/* per customer */
#define DEMO_SPLIT_PROB		0.05

typedef struct DemoRng
{
	uint64		s[4];
} DemoRng;

typedef struct DemoChannel
{
	const char *name;
	double		share;
	double		conversion;
} DemoChannel;

static const DemoChannel demo_channels[] = {
	{"organic", 0.35, 0.85},
	{"paid_search", 0.25, 0.80},
	{"social", 0.15, 0.70},
	{"email", 0.10, 0.90},
	{"referral", 0.10, 0.92},
	{"affiliate", 0.05, 0.75},
};

#define DEMO_NCHANNELS lengthof(demo_channels)

/* what is drawn for every customer, in stream order */
typedef struct DemoCustomer
{
	int32		signup_day;		/* days since start_date */
	int			channel;
	bool		buyer;
} DemoCustomer;

/*
 * SplitMix64 - one step of the splitmix64 mixer, used to seed streams.
 */
static uint64
SplitMix64(uint64 *x)
{
	uint64		z = (*x += UINT64CONST(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64CONST(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64CONST(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/*
 * RngSeed - the stream of customer "id" under "seed".
 */
static void
RngSeed(DemoRng *rng, int64 seed, int64 id)
{
	uint64		x = (uint64) seed;
	uint64		mix;

	mix = SplitMix64(&x) ^ ((uint64) id * UINT64CONST(0xD1B54A32D192ED03));
	for (int i = 0; i < 4; i++)
		rng->s[i] = SplitMix64(&mix);
}

/*
 * Rotl - rotate left.
 */
static inline uint64
Rotl(uint64 x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/*
 * RngNext - next 64 random bits (xoshiro256**).
 */
static inline uint64
RngNext(DemoRng *rng)
{
	uint64	   *s = rng->s;
	uint64		result = Rotl(s[1] * 5, 7) * 9;
	uint64		t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = Rotl(s[3], 45);
	return result;
}

/*
 * Uniform - a double in [0, 1) from 53 random bits.
 */
static inline double
Uniform(DemoRng *rng)
{
	return (RngNext(rng) >> 11) * (1.0 / 9007199254740992.0);
}

/*
 * Exponential - Exponential(1) variate.
 */
static inline double
Exponential(DemoRng *rng)
{
	return -log1p(-Uniform(rng));
}

/*
 * Normal - standard normal variate (Marsaglia's polar method, one of the
 * pair; the other is dropped to keep the stream simple).
 */
static double
Normal(DemoRng *rng)
{
	double		u,
				v,
				s;

	do
	{
		u = 2.0 * Uniform(rng) - 1.0;
		v = 2.0 * Uniform(rng) - 1.0;
		s = u * u + v * v;
	} while (s >= 1.0 || s == 0.0);
	return u * sqrt(-2.0 * log(s) / s);
}

/*
 * Gamma - Gamma(shape, 1) variate (Marsaglia & Tsang 2000; for shape < 1
 * the boost Gamma(shape + 1) * U^(1/shape)).
 */
static double
Gamma(DemoRng *rng, double shape)
{
	double		d,
				c;

	if (shape < 1.0)
	{
		double		g = Gamma(rng, shape + 1.0);
		double		u = Uniform(rng);

		/* u^(1/shape) in log space: tiny shapes underflow to 0, which is fine */
		return g * exp(log1p(-u) / shape);
	}
	d = shape - 1.0 / 3.0;
	c = 1.0 / sqrt(9.0 * d);
	for (;;)
	{
		double		x,
					v,
					u;

		do
		{
			x = Normal(rng);
			v = 1.0 + c * x;
		} while (v <= 0.0);
		v = v * v * v;
		u = Uniform(rng);
		if (u < 1.0 - 0.0331 * x * x * x * x)
			return d * v;
		if (log(u) < 0.5 * x * x + d * (1.0 - v + log(v)))
			return d * v;
	}
}

/*
 * Beta - Beta(a, b) variate from two gammas.
 */
static double
Beta(DemoRng *rng, double a, double b)
{
	double		x = Gamma(rng, a);
	double		y = Gamma(rng, b);

	if (x + y <= 0.0)
		return a / (a + b);		/* both underflowed: use the mean */
	return x / (x + y);
}

/*
 * DrawCustomer - the attributes every customer has, drawn first in its
 * stream so that demo_customers and demo_orders see the same values.
 */
static void
DrawCustomer(DemoRng *rng, int32 ndays, DemoCustomer *c)
{
	double		u;
	double		acc = 0;

	c->signup_day = (int32) Min(floor(Uniform(rng) * ndays), (double) (ndays - 1));
	u = Uniform(rng);
	c->channel = DEMO_NCHANNELS - 1;
	for (int i = 0; i < (int) DEMO_NCHANNELS; i++)
	{
		acc += demo_channels[i].share;
		if (u < acc)
		{
			c->channel = i;
			break;
		}
	}
	c->buyer = Uniform(rng) < demo_channels[c->channel].conversion;
}

/*
 * GetDay - a finite date argument.
 */
static DateADT
GetDay(FunctionCallInfo fcinfo, int argno, const char *name)
{
	DateADT		d = PG_GETARG_DATEADT(argno);

	if (DATE_NOT_FINITE(d))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite date", name),
				 errhint("The demo store spans start_date to end_date, such as '2023-01-01' to '2025-12-31'.")));
	return d;
}

/*
 * CheckCommonArgs - validate customers, start_date and end_date; returns
 * the number of days in the period.
 */
static int32
CheckCommonArgs(FunctionCallInfo fcinfo, int32 *customers, DateADT *start)
{
	DateADT		end;
	int64		ndays;

	*customers = PG_GETARG_INT32(0);
	if (*customers < 0 || *customers > DEMO_MAX_CUSTOMERS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("customers must be between 0 and %d, got %d",
						DEMO_MAX_CUSTOMERS, *customers),
				 errhint("Generate larger stores in slices of customers.")));
	*start = GetDay(fcinfo, 2, "start_date");
	end = GetDay(fcinfo, 3, "end_date");
	if (end < *start)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("end_date must not precede start_date"),
				 errhint("Pass the period in order, such as start_date => '2023-01-01', end_date => '2025-12-31'.")));
	ndays = (int64) end - *start + 1;
	/* keep every generated instant inside the timestamp range */
	if ((int64) *start - 1 < -730119 || (int64) end + 1 > 106751982)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("demo period out of range"),
				 errhint("Dates must lie between 0001-01-01 and 294276-12-31.")));
	return (int32) ndays;
}

/*
 * BeginSrf - set up a materialize-mode set-returning function.
 */
static Tuplestorestate *
BeginSrf(FunctionCallInfo fcinfo, TupleDesc *tupdesc)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext oldcxt;
	Tuplestorestate *store;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	if (!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("materialize mode required, but it is not allowed in this context")));
	if (get_call_result_type(fcinfo, NULL, tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	oldcxt = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	*tupdesc = CreateTupleDescCopy(*tupdesc);
	store = tuplestore_begin_heap(true, false, work_mem);
	MemoryContextSwitchTo(oldcxt);

	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = store;
	rsinfo->setDesc = *tupdesc;
	return store;
}

PG_FUNCTION_INFO_V1(lifecycle_demo_customers);

/*
 * lifecycle_demo_customers - demo_customers(customers, seed, start_date,
 * end_date): (customer_id, signup_date, channel) for every customer.
 */
Datum
lifecycle_demo_customers(PG_FUNCTION_ARGS)
{
	int32		customers;
	int64		seed = PG_GETARG_INT64(1);
	DateADT		start;
	int32		ndays = CheckCommonArgs(fcinfo, &customers, &start);
	TupleDesc	tupdesc;
	Tuplestorestate *store = BeginSrf(fcinfo, &tupdesc);
	Datum		channels[DEMO_NCHANNELS];

	for (int i = 0; i < (int) DEMO_NCHANNELS; i++)
		channels[i] = CStringGetTextDatum(demo_channels[i].name);

	for (int64 id = 1; id <= customers; id++)
	{
		DemoRng		rng;
		DemoCustomer c;
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		CHECK_FOR_INTERRUPTS();
		RngSeed(&rng, seed, id);
		DrawCustomer(&rng, ndays, &c);
		values[0] = Int64GetDatum(id);
		values[1] = DateADTGetDatum(start + c.signup_day);
		values[2] = channels[c.channel];
		tuplestore_putvalues(store, tupdesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * GetParam - a positive, finite model parameter.
 */
static double
GetParam(FunctionCallInfo fcinfo, int argno, const char *name)
{
	double		v = PG_GETARG_FLOAT8(argno);

	if (!(v > 0) || isinf(v))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("model parameter %s must be positive and finite, got %g", name, v),
				 errhint("The defaults are the CDNOW estimates: r 0.243, alpha 4.414, a 0.793, b 2.426, p 6.25, q 3.74, gamma 15.44.")));
	return v;
}

/*
 * Cents - an amount rounded to cents, at least one cent.
 */
static inline double
Cents(double z)
{
	double		c = round(z * 100.0) / 100.0;

	return c < 0.01 ? 0.01 : c;
}

/* the BG/NBD and Gamma-Gamma parameters of the purchase process */
typedef struct DemoModel
{
	double		r,
				alpha,
				a,
				b,
				p,
				q,
				gamma;
} DemoModel;

/* the CDNOW estimates (the SQL defaults of demo_orders) */
static const DemoModel demo_cdnow = {0.243, 4.414, 0.793, 2.426, 6.25, 3.74, 15.44};

/*
 * CustomerOrders - the orders of a buyer whose attributes were just drawn
 * from rng: times in days since start_date 00:00 UTC (ascending) and
 * amounts, at most DEMO_MAX_ORDERS; returns the count.
 */
static int
CustomerOrders(DemoRng *rng, const DemoCustomer *c, int32 ndays,
			   const DemoModel *m, double *otimes, double *oamounts)
{
	double		t,
				lambda,
				dropout,
				nu;
	int			norders = 0;
	int			npurchases = 0;

	t = c->signup_day + Uniform(rng);
	t += 3.0 * Exponential(rng);
	lambda = Gamma(rng, m->r) / m->alpha;	/* per week */
	dropout = Beta(rng, m->a, m->b);
	nu = Gamma(rng, m->q) / m->gamma;

	for (;;)
	{
		double		z,
					day,
					u;
		double		times[2];
		double		amounts[2];
		int			n = 1;

		if (t >= ndays || norders >= DEMO_MAX_ORDERS)
			break;

		/* this purchase: one order, or two later the same day */
		z = nu > 0 ? Gamma(rng, m->p) / nu : 0;
		if (!isfinite(z))
			z = 0;
		times[0] = t;
		amounts[0] = z;
		if (Uniform(rng) < DEMO_SPLIT_PROB && norders + 2 <= DEMO_MAX_ORDERS)
		{
			day = floor(t);
			times[1] = t + Uniform(rng) * (day + 1.0 - t);
			if (times[1] >= day + 1.0)
				times[1] = t;
			u = 0.2 + 0.6 * Uniform(rng);
			amounts[0] = z * u;
			amounts[1] = z * (1.0 - u);
			n = 2;
		}
		for (int i = 0; i < n; i++)
		{
			otimes[norders] = times[i];
			oamounts[norders] = amounts[i];
			norders++;
		}

		/* after a repeat purchase the customer may drop out */
		npurchases++;
		if (npurchases > 1 && Uniform(rng) < dropout)
			break;
		if (!(lambda > 0))
			break;
		t += 7.0 * Exponential(rng) / lambda;
		if (!isfinite(t))
			break;
	}
	return norders;
}

/*
 * DayTimestamp - a time in days since start_date as a timestamptz.
 */
static inline TimestampTz
DayTimestamp(TimestampTz origin, double t)
{
	return origin + (TimestampTz) floor(t * USECS_PER_DAY);
}

PG_FUNCTION_INFO_V1(lifecycle_demo_orders);

/*
 * lifecycle_demo_orders - demo_orders(customers, seed, start_date,
 * end_date, r, alpha, a, b, p, q, gamma): (customer_id, order_id,
 * ordered_at, amount), customers in id order, each in time order.
 */
Datum
lifecycle_demo_orders(PG_FUNCTION_ARGS)
{
	int32		customers;
	int64		seed = PG_GETARG_INT64(1);
	DateADT		start;
	int32		ndays = CheckCommonArgs(fcinfo, &customers, &start);
	DemoModel	m;
	TupleDesc	tupdesc;
	Tuplestorestate *store;
	TimestampTz origin = (TimestampTz) start * USECS_PER_DAY;
	double	   *otimes = palloc(sizeof(double) * DEMO_MAX_ORDERS);
	double	   *oamounts = palloc(sizeof(double) * DEMO_MAX_ORDERS);

	m.r = GetParam(fcinfo, 4, "r");
	m.alpha = GetParam(fcinfo, 5, "alpha");
	m.a = GetParam(fcinfo, 6, "a");
	m.b = GetParam(fcinfo, 7, "b");
	m.p = GetParam(fcinfo, 8, "p");
	m.q = GetParam(fcinfo, 9, "q");
	m.gamma = GetParam(fcinfo, 10, "gamma");
	store = BeginSrf(fcinfo, &tupdesc);

	for (int64 id = 1; id <= customers; id++)
	{
		DemoRng		rng;
		DemoCustomer c;
		int			norders;

		CHECK_FOR_INTERRUPTS();
		RngSeed(&rng, seed, id);
		DrawCustomer(&rng, ndays, &c);
		if (!c.buyer)
			continue;
		norders = CustomerOrders(&rng, &c, ndays, &m, otimes, oamounts);
		for (int i = 0; i < norders; i++)
		{
			Datum		values[4];
			bool		nulls[4] = {false, false, false, false};

			values[0] = Int64GetDatum(id);
			values[1] = Int64GetDatum(id * 100000 + i + 1);
			values[2] = TimestampTzGetDatum(DayTimestamp(origin, otimes[i]));
			values[3] = Float8GetDatum(Cents(oamounts[i]));
			tuplestore_putvalues(store, tupdesc, values, nulls);
		}
	}
	return (Datum) 0;
}

/* ----------------------------------------------------------------
 * Web events
 * ----------------------------------------------------------------
 */

/* event types, in funnel order */
static const char *const demo_event_names[] = {
	"visit", "product_view", "add_to_cart", "checkout", "purchase"
};

#define DEMO_NEVENT_TYPES	5
#define DEMO_MAX_SESSIONS	200		/* browsing sessions per customer */
#define MINUTES				(1.0 / 1440.0)	/* in days */

typedef struct DemoEvent
{
	double		t;				/* days since start_date */
	int16		type;			/* index into demo_event_names */
	int16		channel;
} DemoEvent;

typedef struct DemoEventBuf
{
	DemoEvent  *ev;
	int			n;
	int			cap;
} DemoEventBuf;

/*
 * PushEvent - append one event.
 */
static void
PushEvent(DemoEventBuf *b, double t, int type, int channel)
{
	if (b->n >= b->cap)
	{
		b->cap *= 2;
		b->ev = repalloc(b->ev, sizeof(DemoEvent) * b->cap);
	}
	b->ev[b->n].t = t;
	b->ev[b->n].type = (int16) type;
	b->ev[b->n].channel = (int16) channel;
	b->n++;
}

/*
 * SessionChannel - the channel of a later session: the acquisition channel
 * half of the time, otherwise one drawn from the channel mix.
 */
static int
SessionChannel(DemoRng *rng, int acquisition)
{
	double		u = Uniform(rng);
	double		acc = 0;

	if (u < 0.5)
		return acquisition;
	u = Uniform(rng);
	for (int i = 0; i < (int) DEMO_NCHANNELS; i++)
	{
		acc += demo_channels[i].share;
		if (u < acc)
			return i;
	}
	return DEMO_NCHANNELS - 1;
}

/*
 * BrowseSession - a session that does not buy: a visit at t, then a
 * product view (65%), an add to cart (35% of those) and a checkout (45% of
 * those); it never reaches a purchase.
 */
static void
BrowseSession(DemoEventBuf *b, DemoRng *rng, double t, int channel)
{
	PushEvent(b, t, 0, channel);
	if (Uniform(rng) >= 0.65)
		return;
	t += (0.2 + 3.0 * Exponential(rng)) * MINUTES;
	PushEvent(b, t, 1, channel);
	if (Uniform(rng) < 0.5)
	{
		t += (0.5 + 4.0 * Exponential(rng)) * MINUTES;
		PushEvent(b, t, 1, channel);
	}
	if (Uniform(rng) >= 0.35)
		return;
	t += (0.5 + 10.0 * Exponential(rng)) * MINUTES;
	PushEvent(b, t, 2, channel);
	if (Uniform(rng) >= 0.45)
		return;
	t += (1.0 + 15.0 * Exponential(rng)) * MINUTES;
	PushEvent(b, t, 3, channel);
}

/*
 * BuySession - the session that ends in the order at time t: visit,
 * product views, add to cart and checkout before it (minutes apart; one
 * session in ten leaves the cart for hours), then the purchase at t.
 */
static void
BuySession(DemoEventBuf *b, DemoRng *rng, double t, int channel)
{
	double		checkout = t - (0.3 + 3.0 * Exponential(rng)) * MINUTES;
	double		cart = checkout - (Uniform(rng) < 0.1 ?
								   (30.0 + 360.0 * Exponential(rng)) :
								   (1.0 + 12.0 * Exponential(rng))) * MINUTES;
	double		view = cart - (0.5 + 8.0 * Exponential(rng)) * MINUTES;
	double		visit = view - (0.2 + 2.0 * Exponential(rng)) * MINUTES;

	PushEvent(b, visit, 0, channel);
	PushEvent(b, view, 1, channel);
	if (Uniform(rng) < 0.4)
		PushEvent(b, view + (cart - view) * Uniform(rng), 1, channel);
	PushEvent(b, cart, 2, channel);
	PushEvent(b, checkout, 3, channel);
	PushEvent(b, t, 4, channel);
}

/*
 * DemoEventCmp - time order; same instant in funnel order.
 */
static int
DemoEventCmp(const void *a, const void *b)
{
	const DemoEvent *x = a;
	const DemoEvent *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return (int) x->type - (int) y->type;
}

PG_FUNCTION_INFO_V1(lifecycle_demo_events);

/*
 * lifecycle_demo_events - demo_events(customers, seed, start_date,
 * end_date): (customer_id, ts, event, channel), the web events of
 * demo_customers, consistent with demo_orders at its default (CDNOW)
 * parameters: every order is the purchase at the end of a session visit ->
 * product_view -> add_to_cart -> checkout -> purchase at exactly its
 * ordered_at.  Besides, every customer has a first session at signup and
 * browsing sessions that drop out at each step (prospects: about 1.5 within
 * weeks of signup; buyers: about 1 + orders / 2 between signup and a month
 * after the last order).  The signup session and the first order's session
 * come from the acquisition channel, later ones half of the time.  (A first
 * order soon after signup may have its session start shortly before the
 * signup visit, even on the day before.)  Events are drawn from a stream of
 * their own, so the orders are those of demo_orders.  Customers come in id
 * order, each customer's events in time order; events after end_date are
 * left out.
 */
Datum
lifecycle_demo_events(PG_FUNCTION_ARGS)
{
	int32		customers;
	int64		seed = PG_GETARG_INT64(1);
	DateADT		start;
	int32		ndays = CheckCommonArgs(fcinfo, &customers, &start);
	TupleDesc	tupdesc;
	Tuplestorestate *store = BeginSrf(fcinfo, &tupdesc);
	TimestampTz origin = (TimestampTz) start * USECS_PER_DAY;
	double	   *otimes = palloc(sizeof(double) * DEMO_MAX_ORDERS);
	double	   *oamounts = palloc(sizeof(double) * DEMO_MAX_ORDERS);
	Datum		channels[DEMO_NCHANNELS];
	Datum		types[DEMO_NEVENT_TYPES];
	DemoEventBuf buf;

	for (int i = 0; i < (int) DEMO_NCHANNELS; i++)
		channels[i] = CStringGetTextDatum(demo_channels[i].name);
	for (int i = 0; i < DEMO_NEVENT_TYPES; i++)
		types[i] = CStringGetTextDatum(demo_event_names[i]);
	buf.cap = 64;
	buf.ev = palloc(sizeof(DemoEvent) * buf.cap);

	for (int64 id = 1; id <= customers; id++)
	{
		DemoRng		rng;
		DemoRng		erng;
		DemoCustomer c;
		int			norders = 0;
		int			nbrowse;
		double		from,
					to;

		CHECK_FOR_INTERRUPTS();
		RngSeed(&rng, seed, id);
		DrawCustomer(&rng, ndays, &c);
		if (c.buyer)
			norders = CustomerOrders(&rng, &c, ndays, &demo_cdnow, otimes, oamounts);
		/* a stream of its own: the orders above are untouched */
		RngSeed(&erng, seed ^ INT64CONST(0x3C6EF372FE94F82B), id);
		buf.n = 0;

		from = c.signup_day + Uniform(&erng);
		BrowseSession(&buf, &erng, from, c.channel);
		for (int i = 0; i < norders; i++)
			BuySession(&buf, &erng, otimes[i],
					   i == 0 ? c.channel : SessionChannel(&erng, c.channel));

		if (norders > 0)
		{
			to = otimes[norders - 1] + 30.0;
			nbrowse = (int) floor((1.0 + 0.5 * norders) * Exponential(&erng) + 0.5);
		}
		else
		{
			to = from + 60.0;
			nbrowse = (int) floor(1.5 * Exponential(&erng) + 0.5);
		}
		nbrowse = Min(nbrowse, DEMO_MAX_SESSIONS);
		for (int i = 0; i < nbrowse; i++)
		{
			double		t = norders > 0 ?
				from + (to - from) * Uniform(&erng) :
				from + 20.0 * Exponential(&erng);

			BrowseSession(&buf, &erng, t, SessionChannel(&erng, c.channel));
		}

		qsort(buf.ev, buf.n, sizeof(DemoEvent), DemoEventCmp);
		for (int i = 0; i < buf.n; i++)
		{
			Datum		values[4];
			bool		nulls[4] = {false, false, false, false};

			if (buf.ev[i].t >= ndays)
				break;			/* after end_date */
			values[0] = Int64GetDatum(id);
			values[1] = TimestampTzGetDatum(DayTimestamp(origin, buf.ev[i].t));
			values[2] = types[buf.ev[i].type];
			values[3] = channels[buf.ev[i].channel];
			tuplestore_putvalues(store, tupdesc, values, nulls);
		}
	}
	return (Datum) 0;
}
