#!/bin/bash
# Transformers Playground on-start script. SageMaker runs it as root at every start of the notebook
# instance and stops it after 5 minutes, so only quick steps run here; installing and serving the app
# (app_start.sh) goes on under nohup. The launcher (deploy/lifecycle.py) sets the variables below and
# puts app_start.sh and idle_stop.py in $SCRIPTS; tests run this file with NOTEBOOK_HOME in a temporary folder.
set -u
: "${PLAYGROUND_SOURCE:?git URL or s3:// tarball of the app}" "${IDLE_MINUTES:?minutes idle before stopping, 0: never}"
PLAYGROUND_REF=${PLAYGROUND_REF:-}       # git branch or tag; empty: the default branch
MEMORY_BUDGET_MB=${MEMORY_BUDGET_MB:-}   # the models' share of this instance type's memory
NOTEBOOK_HOME=${NOTEBOOK_HOME:-/home/ec2-user}
NOTEBOOK_USER=${NOTEBOOK_USER:-ec2-user}
SCRIPTS=${SCRIPTS:-$(cd "$(dirname "$0")" && pwd)}
WORK=$NOTEBOOK_HOME/SageMaker            # the only folder kept when the instance stops
STATE=$WORK/.playground
JUPYTER_ENV=$NOTEBOOK_HOME/anaconda3/envs/JupyterSystemEnv
AWS_BIN=$(command -v aws || echo "$NOTEBOOK_HOME/anaconda3/bin/aws")
mkdir -p "$STATE/scripts"
cp "$SCRIPTS/app_start.sh" "$SCRIPTS/idle_stop.py" "$STATE/scripts/"
chown -R "$NOTEBOOK_USER:$NOTEBOOK_USER" "$STATE"
log() { echo "$(date -u +%FT%TZ) $*" >> "$STATE/on-start.log"; }

# 1. jupyter-server-proxy 4.4 or newer: older ones buffer server-sent events, so streamed answers would
#    arrive all at once. Bounded, to stay inside the 5 minutes; Jupyter restarts without waiting for it,
#    as AWS's own lifecycle samples do.
if timeout 150 sudo -u "$NOTEBOOK_USER" -i "$JUPYTER_ENV/bin/pip" install --quiet --upgrade \
    'jupyter-server-proxy>=4.4' >> "$STATE/on-start.log" 2>&1; then
  systemctl --no-block restart jupyter-server.service || log "could not restart jupyter-server"
else
  log "could not upgrade jupyter-server-proxy: streamed answers may arrive all at once"
fi

# 2. Idle auto-stop, counting the app's traffic (idle_stop.py says how).
date +%s > "$STATE/last-activity"
if [ "$IDLE_MINUTES" -gt 0 ]; then
  PYTHON=$JUPYTER_ENV/bin/python
  [ -x "$PYTHON" ] || PYTHON=python3
  nohup "$PYTHON" "$STATE/scripts/idle_stop.py" "$IDLE_MINUTES" "$STATE/last-activity" "$AWS_BIN" \
    >> "$STATE/idle-stop.log" 2>&1 &
fi

# 3. The app, as the notebook's user: installed once onto the kept volume (about 10 minutes the first
#    time), then served on 127.0.0.1 behind Jupyter's proxy. app_start.sh reads the launch's settings from
#    launch.env, so running it again by hand restarts the app the same way.
printf 'PLAYGROUND_SOURCE=%q\nPLAYGROUND_REF=%q\nMEMORY_BUDGET_MB=%q\nAWS_BIN=%q\n' \
  "$PLAYGROUND_SOURCE" "$PLAYGROUND_REF" "$MEMORY_BUDGET_MB" "$AWS_BIN" > "$STATE/launch.env"
nohup sudo -u "$NOTEBOOK_USER" -i bash "$STATE/scripts/app_start.sh" >> "$WORK/playground.log" 2>&1 &
log "started; app log: $WORK/playground.log"
