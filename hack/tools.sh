#!/usr/bin/env bash
# hack/tools.sh NAME: print the path of a pinned release tool, building it
# from the Go module proxy into $TOOLS_BIN (default $(go env GOPATH)/bin)
# when it is missing or at another version. CI needs nothing but Go.
#
#   krew, validate-krew-manifest   sigs.k8s.io/krew v0.4.3         (~20 s cold)
#   goreleaser                     goreleaser/v2 v2.15.1           (~6 min cold on 2 idle cores)
set -euo pipefail

TOOLS_BIN="${TOOLS_BIN:-$(go env GOPATH)/bin}"

case "${1:-}" in
krew) pkg=sigs.k8s.io/krew/cmd/krew version=v0.4.3 ;;
validate-krew-manifest) pkg=sigs.k8s.io/krew/cmd/validate-krew-manifest version=v0.4.3 ;;
goreleaser) pkg=github.com/goreleaser/goreleaser/v2 version=v2.15.1 ;;
*)
	echo "usage: $0 krew|validate-krew-manifest|goreleaser" >&2
	exit 2
	;;
esac
name=$1
have=""
if [[ -x "$TOOLS_BIN/$name" ]]; then
	have="$(go version -m "$TOOLS_BIN/$name" | awk '$1 == "mod" { print $3; exit }')"
fi
if [[ "$have" != "$version" ]]; then
	echo "tools: building $name $version from the Go module proxy (have: ${have:-none})" >&2
	start=$SECONDS
	GOBIN="$TOOLS_BIN" timeout 30m go install "$pkg@$version"
	echo "tools: built $name in $((SECONDS - start))s" >&2
fi
echo "$TOOLS_BIN/$name"
