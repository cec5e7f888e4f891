/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helper of tls.sh: negotiate with a Docker API over tcp:// + TLS and list
 * containers. Usage: tls_client HOST CA CERT KEY (empty = unset).
 * Prints the API version, or the error; exits 0 when both calls worked,
 * else 1.
 */
#include <stdio.h>

#include "cg_docker.h"

int
main(int argc, char **argv)
{
	struct cg_docker_opts o = { .timeout_ms = 5000 };
	struct cg_docker *d;
	json_object *arr;
	char err[256] = "";
	int rc;

	if (argc != 5) {
		fprintf(stderr, "usage: %s HOST CA CERT KEY\n", argv[0]);
		return 2;
	}
	o.host = argv[1];
	o.tls_ca = argv[2];
	o.tls_cert = argv[3];
	o.tls_key = argv[4];
	d = cg_docker_new(&o);
	if (d == NULL) {
		perror("cg_docker_new");
		return 2;
	}
	rc = cg_docker_negotiate(d, err, sizeof(err));
	if (rc == 0)
		rc = cg_docker_list_containers(d, &arr, err, sizeof(err));
	if (rc == 0) {
		printf("ok api %s, %zu containers\n", cg_docker_api_version(d),
		       json_object_array_length(arr));
		json_object_put(arr);
	} else {
		printf("error %d: %s\n", rc, err);
	}
	cg_docker_free(d);
	return rc == 0 ? 0 : 1;
}
