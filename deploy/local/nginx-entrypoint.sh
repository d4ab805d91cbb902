#!/usr/bin/env bash
# The mounted site, adapted to Debian 12's nginx 1.22, which predates `http2 on;`.
set -euo pipefail
mkdir -p /run/nginx/sites
for conf in /etc/nginx/conf.d/*.conf; do
    sed -e '/^\s*http2 on;/d' -e 's/listen 443 ssl;/listen 443 ssl http2;/' "$conf" >"/run/nginx/sites/$(basename "$conf")"
done
exec "$@"
