-- Every object of the extension with its volatility, strictness and parallel
-- marking; every aggregate with its support functions. A new function shows up
-- here and must be marked deliberately.
SET client_min_messages = warning;

-- functions and aggregates
SELECT p.oid::regprocedure AS object,
       p.prokind AS kind,
       p.provolatile AS volatility,
       p.proisstrict AS strict,
       p.proparallel AS parallel
FROM pg_depend d
JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
WHERE d.refclassid = 'pg_extension'::regclass
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'lifecycle')
  AND d.deptype = 'e'
ORDER BY p.proname, p.oid::regprocedure::text;

-- types
SELECT t.oid::regtype AS type, t.typtype, t.typalign, t.typstorage
FROM pg_depend d
JOIN pg_type t ON d.classid = 'pg_type'::regclass AND d.objid = t.oid
WHERE d.refclassid = 'pg_extension'::regclass
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'lifecycle')
  AND d.deptype = 'e'
ORDER BY 1::text;

-- aggregates and their support functions
SELECT a.aggfnoid::regprocedure AS aggregate,
       a.aggtransfn, a.aggcombinefn, a.aggfinalfn,
       a.aggtranstype::regtype AS state_type, a.aggfinalmodify
FROM pg_aggregate a
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = a.aggfnoid
WHERE d.refclassid = 'pg_extension'::regclass
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'lifecycle')
ORDER BY 1::text;

-- rules (adapted from opr_sanity): must all return no rows
-- every aggregate has a combine function and a non-internal state type
SELECT a.aggfnoid::regprocedure
FROM pg_aggregate a JOIN pg_depend d ON d.objid = a.aggfnoid AND d.classid = 'pg_proc'::regclass
WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'lifecycle')
  AND (a.aggcombinefn = 0 OR a.aggtranstype = 'internal'::regtype);
-- every function is parallel safe and not volatile (procedures write, so they are neither)
SELECT p.oid::regprocedure
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'lifecycle')
  AND p.prokind <> 'p' AND (p.proparallel <> 's' OR p.provolatile = 'v');
-- combine functions take (stype, stype) and return stype
SELECT a.aggfnoid::regprocedure
FROM pg_aggregate a JOIN pg_proc c ON c.oid = a.aggcombinefn
JOIN pg_depend d ON d.objid = a.aggfnoid AND d.classid = 'pg_proc'::regclass
WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'lifecycle')
  AND (c.prorettype <> a.aggtranstype OR c.pronargs <> 2
       OR c.proargtypes[0] <> a.aggtranstype OR c.proargtypes[1] <> a.aggtranstype);
-- every function and aggregate has a comment, except type I/O and aggregate support
SELECT p.oid::regprocedure
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass
WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'lifecycle')
  AND obj_description(p.oid, 'pg_proc') IS NULL
  AND p.proname !~ '_(in|out|recv|send|trans|final)$';
