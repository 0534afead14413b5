package io.kiln.config;

/**
 * One {@code save <seconds> <changes>} rule: snapshot when at least {@code changes} writes
 * happened within {@code seconds}.
 *
 * <p>Threads: immutable, safe to share between any threads.
 */
public record SavePoint(long seconds, long changes) {}
