package offline

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/kubectl-pleg/kubectl-pleg/pkg/kubelet"
)

// A must-gather's host_service_logs/masters/kubelet_service.log is every
// control-plane node's kubelet journal in one file, lines interleaved, each
// naming its host. Read as one log it would give one node the others'
// lines; it is split by host into one log per node instead.

// maxHosts bounds the hosts one file is split into: a control plane has a
// handful; past it, lines go with the file's host-less ones.
const maxHosts = 64

// hostLogs is a file split by host: a temporary file per host (order: as
// they first spoke), and one for the lines before any host named itself.
type hostLogs struct {
	byHost  map[string]*os.File
	order   []string
	none    *os.File
	writers map[*os.File]*bufio.Writer
}

// splitByHost copies path's lines into a temporary file per host. A line
// without a host (a continuation, a bare klog line) goes with the line
// before it. The caller reads the files, then calls remove.
func splitByHost(path string) (*hostLogs, error) {
	in, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	h := &hostLogs{byHost: map[string]*os.File{}, writers: map[*os.File]*bufio.Writer{}}
	if err := h.copy(bufio.NewReaderSize(in, 64<<10)); err != nil {
		h.remove()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return h, nil
}

// copy sends each line to its host's file, then rewinds the files.
func (h *hostLogs) copy(r *bufio.Reader) error {
	current, midLine := "", false
	for {
		line, err := r.ReadSlice('\n')
		if len(line) > 0 {
			// The rest of a line longer than the buffer follows its head.
			if host := kubelet.LineHost(line); host != "" && !midLine {
				current = host
			}
			w, werr := h.writer(current)
			if werr != nil {
				return werr
			}
			if _, werr := w.Write(line); werr != nil {
				return werr
			}
		}
		midLine = errors.Is(err, bufio.ErrBufferFull)
		switch {
		case err == io.EOF:
			return h.rewind()
		case err != nil && !midLine:
			return err
		}
	}
}

// writer is the writer of host's file, created on first use.
func (h *hostLogs) writer(host string) (*bufio.Writer, error) {
	if host != "" && h.byHost[host] == nil && len(h.order) >= maxHosts {
		host = ""
	}
	f := h.none
	if host != "" {
		f = h.byHost[host]
	}
	if f == nil {
		var err error
		if f, err = os.CreateTemp("", "pleg-host-"); err != nil {
			return nil, err
		}
		// Unlinked at once: a journal may be sensitive, and the copy must
		// not outlive the process however it ends. The open file remains.
		os.Remove(f.Name())
		h.writers[f] = bufio.NewWriterSize(f, 64<<10)
		if host == "" {
			h.none = f
		} else {
			h.byHost[host], h.order = f, append(h.order, host)
		}
	}
	return h.writers[f], nil
}

// rewind flushes every file and puts it back at its start, for reading.
func (h *hostLogs) rewind() error {
	for f, w := range h.writers {
		if err := w.Flush(); err != nil {
			return err
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
	}
	return nil
}

// remove closes the temporary files (unlinked already).
func (h *hostLogs) remove() {
	for f := range h.writers {
		f.Close()
	}
}
