// Command mkimage writes a one-layer container image as a docker-archive
// tar (what `docker save` writes and `ctr images import` reads), so that the
// lab's real nodes get images without a registry:
//
//	mkimage -binary .bin/pause -o image.tar -tag registry.k8s.io/pause:3.10 -tag pleg-lab.local/sleeper:1
//
// The layer holds the binary as /<base name>, the entrypoint. Every
// timestamp is fixed, so the same binary always gives the same image ID.
package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// tags collects repeated -tag flags.
type tags []string

func (t *tags) String() string     { return strings.Join(*t, ",") }
func (t *tags) Set(v string) error { *t = append(*t, v); return nil }

func main() {
	binary := flag.String("binary", "", "static executable to put in the image")
	out := flag.String("o", "image.tar", "docker-archive to write")
	var repoTags tags
	flag.Var(&repoTags, "tag", "image name, repeatable (e.g. registry.k8s.io/pause:3.10)")
	flag.Parse()
	if *binary == "" || len(repoTags) == 0 {
		log.Fatal("usage: mkimage -binary FILE -tag NAME [-tag NAME...] -o OUT.tar")
	}
	exe, err := os.ReadFile(*binary)
	if err != nil {
		log.Fatal(err)
	}
	archive, err := build("/"+filepath.Base(*binary), exe, repoTags)
	if err != nil {
		log.Fatal(err)
	}
	// Write then rename: a reader never sees half an archive.
	if err := os.WriteFile(*out+".tmp", archive, 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.Rename(*out+".tmp", *out); err != nil {
		log.Fatal(err)
	}
}

// epoch is every file's mtime, for reproducible digests.
var epoch = time.Unix(0, 0).UTC()

// build returns the docker-archive: manifest.json, the image config named
// by its digest, and <layer digest>/layer.tar.
func build(entrypoint string, exe []byte, repoTags []string) ([]byte, error) {
	var layer bytes.Buffer
	if err := writeTar(&layer, []file{{name: strings.TrimPrefix(entrypoint, "/"), mode: 0o755, data: exe}}); err != nil {
		return nil, err
	}
	diffID := digest(layer.Bytes())
	config, err := json.Marshal(map[string]any{
		"architecture": runtime.GOARCH,
		"os":           "linux",
		"created":      epoch.Format(time.RFC3339),
		"config":       map[string]any{"Entrypoint": []string{entrypoint}},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + diffID}},
	})
	if err != nil {
		return nil, err
	}
	configName := digest(config) + ".json"
	layerName := diffID + "/layer.tar"
	manifest, err := json.Marshal([]map[string]any{{
		"Config": configName, "RepoTags": repoTags, "Layers": []string{layerName},
	}})
	if err != nil {
		return nil, err
	}
	var archive bytes.Buffer
	err = writeTar(&archive, []file{
		{name: diffID + "/", mode: 0o755, dir: true},
		{name: layerName, mode: 0o644, data: layer.Bytes()},
		{name: configName, mode: 0o644, data: config},
		{name: "manifest.json", mode: 0o644, data: manifest},
	})
	return archive.Bytes(), err
}

type file struct {
	name string
	mode int64
	dir  bool
	data []byte
}

func writeTar(w *bytes.Buffer, files []file) error {
	tw := tar.NewWriter(w)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data)), ModTime: epoch, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if f.dir {
			h.Typeflag, h.Size = tar.TypeDir, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		if _, err := tw.Write(f.data); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	return tw.Close()
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
