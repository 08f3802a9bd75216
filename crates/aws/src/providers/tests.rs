//! Tests of the credential chain against an in-process HTTP server.
