/**
 * What `cloudops --help` and `cloudops VERB --help` print. Plain text with no imports beyond the
 * version, so help never waits for the modules a verb needs to run.
 */

import { CALIBRATION_MARGIN, DEFAULT_FALSE_ALARMS_PER_DAY } from "../anomaly/alarm-budget.js";
import { DEFAULT_SERIES_THRESHOLD } from "../anomaly/detect-csv.js";

export const VERBS = ["start", "worker", "ask", "detect", "forecast", "stack"] as const;
export type Verb = (typeof VERBS)[number];

export function isVerb(word: string | undefined): word is Verb {
  return (VERBS as readonly string[]).includes(word ?? "");
}

/** One line per verb: its synopsis, as error messages quote it. */
export const SYNOPSIS: Record<Verb, string> = {
  start: "cloudops start",
  worker: "cloudops worker",
  ask: 'cloudops ask "QUESTION" [--env E] [--at TIME] [--json] [--chart FILE.png]',
  detect:
    "cloudops detect FILE.csv [--train TRAIN.csv [--interval S] [--false-alarms-per-day N]] [--threshold T] [--out F]",
  forecast: "cloudops forecast FILE.csv --horizon N [--level L] [--out F]",
  stack: "cloudops stack up|down|status [--home DIR]",
};

const DETAILS: Record<Verb, string> = {
  start: `Starts the bot: the HTTP API, the web console, the Slack and Teams adapters, and (with
ANOMALY_ENABLED=true) the anomaly jobs. Runs until SIGINT or SIGTERM.`,
  worker: `Runs anomaly scan and training jobs only, from the same Redis queues as the bot; start any
number of them. Runs until SIGINT or SIGTERM.`,
  ask: `Answers one question from Prometheus and exits. Anomaly questions read the detector's results
from Redis (REDIS_URL, REDIS_PREFIX), like the bot; other questions never connect to Redis.

Options:
  --env E           the environment to ask (PROMETHEUS_ENVIRONMENTS); default the first
  --at TIME         answer as of a past time (ISO 8601, e.g. 2026-11-25T03:12:00Z), for post-mortems
  --json            print the reply as JSON: {reply, provider, intent}
  --chart FILE.png  save the reply's chart, when it has one

Exit codes: 0 answered; 1 the answer failed (Prometheus or Redis unreachable: one line on stderr);
2 bad arguments or configuration.`,
  detect: `Scores a CSV file and writes it back with two columns added: anomaly_score and anomaly.

  cloudops detect FILE.csv
      FILE is timestamp,value rows (one series, evenly spaced). Each row is scored only from the
      rows before it (a streaming detector), so a score is what a live detector would have said at
      that time. anomaly_score (0..1) is about 1 - p, p being how rarely this series' own history
      has moved as far from everything before it (over windows of 1 to 32 rows): 0.99 is about once
      in 100 rows. A score that is no new high for the last 144 rows is multiplied by 0.8, so an
      incident scores high where it starts, not on every row while it lasts. The first rows score 0
      (no history yet). On the NAB benchmark half the rows score below 0.43 and 99% below 0.80.
      Default threshold ${DEFAULT_SERIES_THRESHOLD} (the best NAB standard score).
  cloudops detect TEST.csv --train TRAIN.csv [--interval S] [--false-alarms-per-day N]
      Rows of numbers (the same columns in both files), S seconds apart (default 60), TEST
      continuing TRAIN's clock from 00:00 UTC. The bot's own host detector is fitted on TRAIN: each
      column's usual level at each hour of the day and how far it moves over 5, 15 and 60 minutes.
      anomaly_score is how rare the TEST row would be in TRAIN, in decades: 4 is about one row in
      10,000. The explanation ranking is the bot's (see its anomaly answers).
      Default threshold: the rarity at which a healthy machine is flagged N times a day
      (default ${DEFAULT_FALSE_ALARMS_PER_DAY}), i.e. log10(rows a day / N) + ${CALIBRATION_MARGIN}.

  A first line whose value fields are all non-numbers is a header, in both modes: it is kept, with
  anomaly_score,anomaly appended. Every row is written unchanged with its score and anomaly = 1
  when score >= the threshold, else 0.

Options:
  --threshold T     anomaly = 1 when anomaly_score >= T (series 0..1; with --train 0..100)
  --out F           write to F instead of standard output

Bad input (missing file, ragged rows, a non-number) gets one line on stderr and exit code 2.`,
  forecast: `Forecasts a timestamp,value series N steps ahead and writes timestamp,forecast,lower,upper
rows, one per step after the last row, at the series' own spacing (the median gap between rows).

  The model is chosen per file by a rolling-origin backtest on the file's own recent history, among
  the bot's forecasting models: seasonal naive (same time yesterday), a robust linear trend
  (Theil-Sen since the last big drop, so a clean-up or a resize restarts it), a trend with daily and
  weekly seasonality, and the others the bot's forecasts choose from. lower and upper bound the central L share of outcomes (default 0.9),
  read from that backtest's errors and widening with the lead. The model chosen and its backtest
  mean absolute error (in the file's units) are printed on standard error.

  Timestamps: epoch seconds or milliseconds, or ISO 8601 (without a zone, UTC); written back in the
  same style. Rows must be in time order. A first line whose value field is not a number is a header.

Options:
  --horizon N       steps to forecast (1 to 10000), required
  --level L         central coverage of the interval, between 0 and 1 (default 0.9)
  --out F           write to F instead of standard output

Bad input (missing file, ragged rows, a non-number, times out of order, fewer than 3 rows) gets one
line on stderr and exit code 2.`,
  stack: `Runs Redis, Prometheus, node_exporter and Alertmanager from Debian packages on 127.0.0.1,
with data and logs under one folder. A service already answering on its port is reused.

  up       start what is not running
  down     stop what the stack started
  status   show each service, its port and state

Options:
  --home DIR        the stack's folder (default CLOUDOPS_HOME or .cloudops)`,
};

export function verbUsage(verb: Verb): string {
  return `Usage: ${SYNOPSIS[verb]}\n\n${DETAILS[verb]}`;
}

export function mainUsage(version: string): string {
  return `Smart CloudOps AI ${version}

Usage:
  cloudops start                      start the bot: HTTP API, web console, chat adapters
  cloudops worker                     run anomaly scan and training jobs only (any number of processes)
  cloudops ask "QUESTION" [--env E] [--at TIME] [--json] [--chart FILE.png]
                                      answer one question from Prometheus and exit
  cloudops detect FILE.csv [--threshold T] [--out F]
                                      score a timestamp,value series, each row from the rows before it
  cloudops detect TEST.csv --train TRAIN.csv [--threshold T] [--out F]
                                      score numeric rows with the host detector fitted on TRAIN
  cloudops forecast FILE.csv --horizon N [--level L] [--out F]
                                      forecast a timestamp,value series N steps, with an interval
  cloudops stack up|down|status [--home DIR]
                                      run Redis, Prometheus, node_exporter and Alertmanager locally
  cloudops VERB --help                what a command does, its options and exit codes
  cloudops --version | --help

Configuration comes from environment variables; see .env.example.`;
}
