# SPDX-License-Identifier: MIT
# Shared by the fleet tests and benchmarks: a test PKI made by openssl and
# Debian's nginx serving a directory over HTTPS on 127.0.0.1 only.
# Sourced after tests/lib.sh (or with $WORK set); never run.

# free_port: a TCP port nothing listens on now
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# pki DIR: ca.pem (the test CA) and srv.pem/srv.key for 127.0.0.1 and
# 10.0.2.2 (QEMU's host; listed as DNS names too, which BearSSL matches),
# other-ca.pem (a CA nobody trusts) and wrong.pem/wrong.key (signed by
# the test CA, for another name). EC P-256, SHA-256.
pki() {
	d=$1
	mkdir -p "$d"
	(
		cd "$d" || exit 1
		openssl ecparam -name prime256v1 -genkey -noout -out ca.key
		openssl req -x509 -new -key ca.key -sha256 -days 30 \
			-subj "/CN=keel test CA" -out ca.pem \
			-addext basicConstraints=critical,CA:TRUE \
			-addext keyUsage=critical,keyCertSign
		openssl ecparam -name prime256v1 -genkey -noout -out other.key
		openssl req -x509 -new -key other.key -sha256 -days 30 \
			-subj "/CN=keel other CA" -out other-ca.pem \
			-addext basicConstraints=critical,CA:TRUE
		for n in srv wrong; do
			if [ $n = srv ]; then
				san="DNS:127.0.0.1,IP:127.0.0.1,DNS:10.0.2.2,IP:10.0.2.2,DNS:localhost"
			else
				san="DNS:wrong.test"
			fi
			openssl ecparam -name prime256v1 -genkey -noout -out $n.key
			openssl req -new -key $n.key -subj "/CN=$n" -out $n.csr
			printf 'subjectAltName=%s\n' "$san" >$n.ext
			openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca.key \
				-CAcreateserial -days 30 -sha256 \
				-extfile $n.ext -out $n.pem
		done
	) >"$d/pki.log" 2>&1
}

# nginx_start DIR ROOT [LISTEN]: nginx serving ROOT with $HTTPS_PORT
# (srv.pem), $WRONG_PORT (wrong.pem) and $HTTP_PORT (plain), on LISTEN
# (default 127.0.0.1). Its access log: DIR/access.log, one line per
# request: status, bytes sent, the Range header, the URI.
nginx_start() {
	nd=$1 root=$2 at=${3:-127.0.0.1}
	HTTPS_PORT=$(free_port) WRONG_PORT=$(free_port) HTTP_PORT=$(free_port)
	mkdir -p "$nd/tmp"
	cat >"$nd/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
user root;
pid $nd/nginx.pid;
error_log $nd/error.log;
events { worker_connections 64; }
http {
	log_format keel '\$status \$body_bytes_sent "\$http_range" \$request_method \$uri';
	access_log $nd/access.log keel;
	client_body_temp_path $nd/tmp;
	sendfile on;
	keepalive_requests 10000;
	ssl_protocols TLSv1.2 TLSv1.3;
	server {
		listen $at:$HTTPS_PORT ssl;
		ssl_certificate $nd/pki/srv.pem;
		ssl_certificate_key $nd/pki/srv.key;
		root $root;
		location = /report { return 204; }
		location /moved/ { rewrite ^/moved/(.*)\$ /\$1 redirect; }
		location /whole/ { alias $root/; max_ranges 0; }
	}
	server {
		listen $at:$WRONG_PORT ssl;
		ssl_certificate $nd/pki/wrong.pem;
		ssl_certificate_key $nd/pki/wrong.key;
		root $root;
	}
	server {
		listen $at:$HTTP_PORT;
		root $root;
		location = /report { return 204; }
	}
}
EOF
	[ -f "$nd/pki/ca.pem" ] || pki "$nd/pki"
	nginx -p "$nd" -c "$nd/nginx.conf" -e "$nd/error.log" &
	NGINX_PID=$!
	for _ in $(seq 50); do
		curl -s -o /dev/null --cacert "$nd/pki/ca.pem" \
			"https://127.0.0.1:$HTTPS_PORT/" 2>/dev/null && return 0
		[ "$at" != 127.0.0.1 ] && sleep 0.2 && return 0
		sleep 0.1
	done
	echo "nginx did not start:"
	cat "$nd/error.log"
	return 1
}

nginx_stop() {
	[ -n "${NGINX_PID:-}" ] && kill "$NGINX_PID" 2>/dev/null &&
		wait "$NGINX_PID" 2>/dev/null
	NGINX_PID=
}

# proxy_start AFTER: tests/cutproxy.py on a free port $PP in front of
# $HTTPS_PORT, cutting the first connection after AFTER bytes from the
# server; its pid in PROXY (proxy_stop ends it)
proxy_start() {
	PP=$(free_port)
	python3 "$TOP/tests/cutproxy.py" "$PP" "$HTTPS_PORT" "$1" 1 \
		>"$WORK/proxy.out" 2>&1 &
	PROXY=$!
	for _ in $(seq 50); do
		grep -q ready "$WORK/proxy.out" && break
		sleep 0.1
	done
}

proxy_stop() {
	[ -n "${PROXY:-}" ] && kill "$PROXY" 2>/dev/null
	PROXY=
}
