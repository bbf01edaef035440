#!/bin/sh
# Creates or updates the gateway's and each service's RabbitMQ user with the
# permissions of deploy/rabbitmq/permissions (nothing more than nameko needs).
# Passwords come from the environment, RABBITMQ_<USER>_PASSWORD, and reach
# rabbitmqctl on its standard input (never on a command line).
#   RABBITMQ_NODE          node to manage (default: rabbitmqctl's own)
#   RABBITMQ_VHOST         virtual host (default ecandidat), created if missing
#   RABBITMQ_USER_PREFIX   prefix of the user names (default none)
#   RABBITMQ_DELETE_GUEST  1: delete the `guest` user if it exists
# Compose runs it once RabbitMQ is healthy (service rabbitmq-users); on a cluster,
# run it on any node. Running it again is harmless.
set -eu
here=$(dirname "$0")
vhost=${RABBITMQ_VHOST:-ecandidat}
prefix=${RABBITMQ_USER_PREFIX:-}

run() {
  if [ -n "${RABBITMQ_NODE:-}" ]; then rabbitmqctl -q -n "$RABBITMQ_NODE" "$@"; else rabbitmqctl -q "$@"; fi
}
ctl() { run "$@" </dev/null; }  # rabbitmqctl would eat the lines the loop reads

# every password first: nothing changes when one is missing
for user in $(grep '^permissions ' "$here/permissions" | cut -d' ' -f2); do
  variable="RABBITMQ_$(echo "$user" | tr '[:lower:]' '[:upper:]')_PASSWORD"
  eval "password=\${$variable:-}"
  if [ -z "$password" ]; then
    echo "users.sh: $variable is not set" >&2
    exit 1
  fi
done

if ! ctl list_vhosts name | grep -qxF "$vhost"; then
  ctl add_vhost "$vhost"
fi
users=$(ctl list_users | cut -f1)

grep -v '^#' "$here/permissions" | while read -r kind user a b c; do
  [ -n "$kind" ] || continue
  name="$prefix$user"
  case "$kind" in
    permissions)
      variable="RABBITMQ_$(echo "$user" | tr '[:lower:]' '[:upper:]')_PASSWORD"
      eval "password=\${$variable}"
      if printf '%s\n' "$users" | grep -qxF "$name"; then
        printf '%s' "$password" | run change_password "$name"
      else
        printf '%s' "$password" | run add_user "$name"
      fi
      ctl set_user_tags "$name"
      ctl clear_topic_permissions -p "$vhost" "$name"  # the lines below are the whole list
      ctl set_permissions -p "$vhost" "$name" "$a" "$b" "$c"
      echo "users.sh: $name ready on $vhost"
      ;;
    topic)
      ctl set_topic_permissions -p "$vhost" "$name" "$a" "$b" "$c"
      ;;
  esac
done

if [ "${RABBITMQ_DELETE_GUEST:-0}" = 1 ] && printf '%s\n' "$users" | grep -qxF guest; then
  ctl delete_user guest
  echo "users.sh: guest deleted"
fi
