/* lifecycle--0.1.0.sql: install script of the lifecycle extension */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION lifecycle" to load this file. \quit
