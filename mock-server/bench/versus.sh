#!/usr/bin/env bash
# This build of the reference server against another build of it (a jar from an earlier commit),
# unstreamed, same options, same run: what a change costs when its features are off. Build the
# other jar in a worktree, e.g.
#   git worktree add /tmp/before HEAD~1 && (cd /tmp/before && mvn -B -q package -DskipTests -pl mock-server -am)
# Usage: versus.sh OTHER_JAR [connections=32] [seconds=10] [rounds=3]
OTHER=${1:?usage: versus.sh OTHER_JAR [connections] [seconds] [rounds]}
shift
NAME=versus A_LABEL="the other build" B_LABEL="this build" A_JAR="$OTHER" TARGET=0.9 \
  exec "$(dirname "$0")/ab.sh" "$@"
