#!/usr/bin/env bash
# Rebuild the bundled corpus from ../shared (the commands listed in README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
S=${SHARED:-../shared}
B=${BRIEFBOT:-briefbot}
F=${FORCE:---force}
$B ingest "$S/seeds/2012-06-06_china-russia-joint-statement.raw.txt" --out corpus $F \
  --short-title "China–Russia Joint Statement" --parties China,Russia \
  --source "Xinhua news agency, Beijing, in English 0928gmt 06 Jun 12"
$B ingest "$S/seeds/2012-12-06_china-russia-joint-communique.raw.txt" --out corpus $F \
  --title "Joint Communiqué of the 17th Regular Meeting of the Chinese and Russian Heads of Government" \
  --short-title "China–Russia Joint Communiqué" --parties China,Russia \
  --source "Xinhua, Moscow, 6 Dec 2012 (updated 2012-12-07)"
$B ingest "$S/corpus-samples/2021-09-24_quad-leaders-joint-statement.txt" --out corpus $F \
  --parties "Australia,India,Japan,United States"
$B ingest "$S/corpus-samples/2022-01-03_p5-leaders-statement-preventing-nuclear-war.txt" \
  --out corpus $F --parties "China,France,Russia,United Kingdom,United States"
$B ingest "$S/corpus-samples/2022-11-16_g20-bali-leaders-declaration.txt" --out corpus $F \
  --parties G20
$B ingest "$S/corpus-samples/2025-05-12_us-china-geneva-trade-joint-statement.txt" \
  --out corpus $F --parties "United States,China"
