#!/usr/bin/env bash
# Install kubectl-pleg the way a user does, from release archives, with krew:
#
#   1. goreleaser check, then goreleaser release --snapshot --clean (./dist)
#   2. check the archives' names, contents and checksums
#   3. render krew/plugin.yaml for them (hack/krew-render) and run krew's own
#      validate-krew-manifest on it, installing every platform's archive from
#      a loopback HTTP server
#   4. kubectl krew install --manifest=... --archive=... into a temporary
#      KREW_ROOT, then through kubectl: `kubectl pleg version`,
#      `kubectl pleg diagnose --help`, an offline diagnosis, plugin completion
#      (kubectl_complete-pleg, linked as the manifest's caveats say), and
#      `kubectl krew uninstall pleg`
#
# krew v0.4.3, validate-krew-manifest and goreleaser v2.15.1 are built from the
# Go module proxy by hack/tools.sh when missing (into $TOOLS_BIN, default
# $(go env GOPATH)/bin), so CI needs only Go, kubectl, jq and unzip. Cold,
# goreleaser takes ~6 min to build on 2 idle cores; reruns reuse it.
#
# Optional: INSTALL_TEST_KUBECONFIG=<kubeconfig of a cluster, e.g. the e2e lab>
# also checks that `kubectl pleg diagnose <TAB>` offers that cluster's nodes.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

GOOS="$(go env GOOS)"
GOARCH="$(go env GOARCH)"

log() { printf '\n== %s\n' "$*" >&2; }
fail() { printf 'install-test: FAIL: %s\n' "$*" >&2; exit 1; }
# bounded runs every step under a time limit, so CI never hangs on one.
bounded() { local limit=$1; shift; timeout --kill-after=30s "$limit" "$@"; }

for cmd in go kubectl jq tar unzip sha256sum timeout; do
	command -v "$cmd" >/dev/null || fail "needs $cmd on PATH (Debian: apt-get install jq unzip)"
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/pleg-install-test.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/bin" "$WORK/manifest" "$WORK/served"

# Pinned tools, built from the Go module proxy when missing (hack/tools.sh).
for t in krew validate-krew-manifest goreleaser; do
	ln -sf "$(hack/tools.sh "$t")" "$WORK/bin/$t"
done
# kubectl finds plugins by file name: krew is `kubectl krew` as kubectl-krew.
ln -sf "$(hack/tools.sh krew)" "$WORK/bin/kubectl-krew"
export PATH="$WORK/bin:$PATH"

log "goreleaser check"
bounded 2m goreleaser check

log "goreleaser release --snapshot --clean (six platforms)"
start=$SECONDS
bounded 40m goreleaser release --snapshot --clean
echo "snapshot built in $((SECONDS - start))s" >&2

TAG="$(jq -r .tag dist/metadata.json)"
VERSION="v$(jq -r .version dist/metadata.json)"
COMMIT="$(jq -r .commit dist/metadata.json)"
if [[ $COMMIT == none ]]; then
	# goreleaser reads the commit only from a clone with a remote (as CI has).
	echo "note: no git remote here, so goreleaser stamps the commit as 'none'" >&2
fi
log "archives for $TAG (binaries stamped $VERSION)"
for platform in linux_amd64 linux_arm64 darwin_amd64 darwin_arm64 windows_amd64 windows_arm64; do
	ext=tar.gz exe=""
	if [[ $platform == windows_* ]]; then ext=zip exe=.exe; fi
	archive="dist/kubectl-pleg_${TAG}_${platform}.${ext}"
	[[ -f "$archive" ]] || fail "no $archive"
	if [[ $ext == tar.gz ]]; then
		contents="$(tar -tzf "$archive" | sort | tr '\n' ' ')"
	else
		contents="$(unzip -Z1 "$archive" | sort | tr '\n' ' ')"
	fi
	want="LICENSE kubectl-pleg$exe kubectl_complete-pleg$exe "
	[[ "$contents" == "$want" ]] || fail "$archive holds [$contents], want [$want]"
	echo "ok $archive: $contents" >&2
done
(cd dist && sha256sum --check --strict "kubectl-pleg_${TAG}_checksums.txt") >&2

log "render krew/plugin.yaml and validate it with krew's validate-krew-manifest"
go build -o "$WORK/bin/" ./hack/krew-render
# The manifest as krew-index would get it (release URIs), structure only ...
krew-render -dist dist -o "$WORK/manifest/pleg.yaml"
bounded 2m validate-krew-manifest -manifest "$WORK/manifest/pleg.yaml" -skip-install
# ... and every platform installed by krew, its archive served on loopback.
bounded 10m krew-render -dist dist -o "$WORK/served/pleg.yaml" -serve \
	validate-krew-manifest -manifest "$WORK/served/pleg.yaml"

log "kubectl krew install --manifest --archive into a temporary KREW_ROOT"
export KREW_ROOT="$WORK/krew" KREW_NO_UPGRADE_CHECK=1
export PATH="$KREW_ROOT/bin:$PATH"
# `kubectl krew list` and `uninstall` insist on a cloned plugin index, which
# `kubectl krew update` would clone from GitHub. `install --manifest` needs
# none; an empty stand-in (krew only checks for the .git directory) keeps
# this test offline.
mkdir -p "$KREW_ROOT/index/default/.git"
export KUBECONFIG="$WORK/no-cluster.kubeconfig" # no cluster unless asked for below
ext=tar.gz
if [[ $GOOS == windows ]]; then ext=zip; fi
bounded 2m kubectl krew install --manifest="$WORK/manifest/pleg.yaml" </dev/null \
	--archive="dist/kubectl-pleg_${TAG}_${GOOS}_${GOARCH}.${ext}"
# Installed from a manifest, not an index, krew lists it as detached/pleg.
kubectl krew list | grep -qE '^(detached/)?pleg$' || fail "kubectl krew list does not show pleg"
[[ "$(command -v kubectl-pleg)" == "$KREW_ROOT/bin/kubectl-pleg" ]] ||
	fail "kubectl-pleg on PATH is $(command -v kubectl-pleg), not krew's"

log "kubectl pleg version"
bounded 30s kubectl pleg version
got="$(bounded 30s kubectl pleg version -o json)"
echo "$got"
[[ "$(jq -r .version <<<"$got")" == "$VERSION" ]] || fail "version is not $VERSION"
[[ "$COMMIT" == "$(jq -r .commit <<<"$got")"* ]] || fail "commit is not a prefix of $COMMIT"
[[ "$(jq -r .buildDate <<<"$got")" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T ]] || fail "no RFC 3339 build date"
[[ "$(jq -r .goVersion <<<"$got")" == go* ]] || fail "no Go version"

log "kubectl pleg diagnose --help"
help="$(bounded 30s kubectl pleg diagnose --help)"
grep -q 'kubectl pleg diagnose NODE' <<<"$help" || fail "help does not say 'kubectl pleg diagnose NODE'"
grep -q 'Exit codes:' <<<"$help" || fail "help lists no exit codes"
echo "ok: diagnose --help ($(wc -l <<<"$help") lines)"

if [[ -d examples/runtime-hung ]]; then
	log "kubectl pleg diagnose --from-dir examples/runtime-hung (offline; exits 3: critical)"
	set +e
	bounded 1m kubectl pleg diagnose --from-dir examples/runtime-hung >"$WORK/diagnosis.txt"
	code=$?
	set -e
	head -n 3 "$WORK/diagnosis.txt"
	[[ $code == 3 ]] || fail "exit code $code, want 3"
fi

log "plugin completion through kubectl (kubectl_complete-pleg)"
# What the manifest's caveats tell users to run once:
ln -sf "$KREW_ROOT/store/pleg/$TAG/kubectl_complete-pleg" "$KREW_ROOT/bin/"
comps="$(bounded 30s kubectl __complete pleg '' 2>/dev/null)"
for sub in diagnose version; do
	grep -q "^$sub" <<<"$comps" || fail "kubectl __complete pleg '' does not offer $sub: $comps"
done
echo "ok: kubectl pleg <TAB> offers $(grep -c -v '^:' <<<"$comps") words"
if [[ -n "${INSTALL_TEST_KUBECONFIG:-}" ]]; then
	want="$(KUBECONFIG=$INSTALL_TEST_KUBECONFIG bounded 30s kubectl get nodes -o name | sed 's|^node/||' | sort)"
	got="$(KUBECONFIG=$INSTALL_TEST_KUBECONFIG bounded 30s kubectl __complete pleg diagnose '' 2>/dev/null | grep -v '^:' | sort)"
	[[ -n "$want" && "$got" == "$want" ]] || fail "kubectl pleg diagnose <TAB> offers [$got], want the nodes [$want]"
	echo "ok: kubectl pleg diagnose <TAB> offers the $(wc -l <<<"$want") nodes of $INSTALL_TEST_KUBECONFIG"
fi

log "kubectl krew uninstall pleg"
bounded 1m kubectl krew uninstall pleg
[[ ! -e "$KREW_ROOT/bin/kubectl-pleg" ]] || fail "kubectl-pleg still installed"

log "install test passed"
