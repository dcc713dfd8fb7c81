// Command krew-render renders krew/plugin.yaml, a krew-release-bot template,
// for archives on local disk, so the manifest can be validated and installed
// before a release exists:
//
//	go run ./hack/krew-render -dist dist -o /tmp/krew/pleg.yaml
//	go run ./hack/krew-render -dist dist -o /tmp/krew/pleg.yaml -serve \
//	    validate-krew-manifest -manifest /tmp/krew/pleg.yaml
//
// It evaluates the template as krew-release-bot does (text/template with
// .TagName, addURIAndSha and indent), except that addURIAndSha takes the
// sha256 of the archive of the same file name in -dist instead of downloading
// the release asset. -uri-prefix replaces everything before that file name.
// -serve serves -dist over HTTP on a free loopback port, points the URIs
// there, runs the command given after the flags and exits with its status,
// so krew can download every platform's archive. The tag defaults to the one
// goreleaser recorded in <dist>/metadata.json.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	var o options
	flag.StringVar(&o.template, "template", "krew/plugin.yaml", "krew-release-bot template")
	flag.StringVar(&o.dist, "dist", "dist", "directory holding the release archives")
	flag.StringVar(&o.tag, "tag", "", "release tag (default: the tag in <dist>/metadata.json)")
	flag.StringVar(&o.uriPrefix, "uri-prefix", "", "replace each archive URL up to its file name with this prefix")
	flag.StringVar(&o.out, "o", "-", "output file (- for stdout); krew wants it named pleg.yaml")
	flag.BoolVar(&o.serve, "serve", false, "serve -dist on loopback while running the command after the flags")
	flag.Parse()
	o.command = flag.Args()
	code, err := o.run()
	if err != nil {
		fmt.Fprintf(os.Stderr, "krew-render: %v\n", err)
		os.Exit(1)
	}
	os.Exit(code)
}
