package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
)

func init() {
	register("attachment", &command{
		Summary: "upload, fetch (checking the signed hash) and list attachments",
		Usage: `
usage: deconflict attachment put --channel C FILE... [--type TYPE] [--json]
       deconflict attachment get --channel C SHA256 [-o FILE]
       deconflict attachment get --channel C --index N [--dir DIR]
       deconflict attachment list --channel C [--json]

Attachments are files a message carries by reference: the signed message
names each file's SHA-256, name, media type and size, and the node keeps
the bytes apart from the log. 'send --attach FILE' uploads and attaches
in one step; 'put' only uploads, printing sha256, type, size and name.
The media type is TYPE, or else the file name's extension's (.png, .jpg,
.pdf, .txt, ...), or else what the bytes look like.

'get SHA256' fetches a file and checks its bytes against the hash before
writing them to FILE (or standard output); 'get --index N' fetches every
file the envelope at N attaches, checks each against the hash and size it
signs, and writes it under its signed name in DIR (default .). A file
that does not match is never written: exit 1.

'list' prints the attachments of every envelope of C, one a line: index,
author, sha256, type, size and name, tab-separated.

example:
  deconflict attachment put --channel ru-us-syria radar-1410Z.png
  deconflict attachment get --channel ru-us-syria --index 7 --dir ./received`,
		Run: runAttachment,
	})
}

func runAttachment(ctx context.Context, m *Main, args []string) error {
	return m.runSubcommand(ctx, "attachment", args, map[string]subcommand{
		"put":  runAttachmentPut,
		"get":  runAttachmentGet,
		"list": runAttachmentList,
	})
}

// extTypes are the media types of common file name extensions, so that
// the type does not depend on the machine's MIME tables.
var extTypes = map[string]string{
	".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp",
	".pdf": "application/pdf", ".txt": "text/plain", ".csv": "text/csv", ".json": "application/json",
	".geojson": "application/geo+json", ".xml": "application/xml", ".zip": "application/zip",
}

// fileType returns the media type a file is uploaded as: typ when given,
// else its extension's, else what net/http's sniffing makes of its bytes.
func fileType(name, typ string, data []byte) string {
	if typ != "" {
		return strings.ToLower(typ)
	}
	if t, ok := extTypes[strings.ToLower(filepath.Ext(name))]; ok {
		return t
	}
	t, _, _ := strings.Cut(http.DetectContentType(data), ";")
	return strings.TrimSpace(t)
}

// uploadFiles uploads each file to channel and returns the attachments
// naming them, in order.
func uploadFiles(ctx context.Context, c *dhttp.Client, channel, typ string, files []string) ([]deconflict.Attachment, error) {
	var out []deconflict.Attachment
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		name := filepath.Base(f)
		if err := deconflict.CheckAttachmentName(name); err != nil {
			return nil, fmt.Errorf("%s: %s", f, deconflict.ErrorMessage(err))
		}
		v, err := c.PutBlob(ctx, channel, fileType(name, typ, data), data)
		if err != nil {
			return nil, fmt.Errorf("upload %s: %w", f, err)
		}
		out = append(out, deconflict.Attachment{SHA256: v.SHA256, Name: name, Type: v.Type, Size: v.Size})
	}
	return out, nil
}

func runAttachmentPut(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("attachment")
	cf := m.addClientFlags(fs, false)
	channel := fs.String("channel", "", "channel id")
	typ := fs.String("type", "", "the media type of the files (default: from each name's extension, else sniffed)")
	asJSON := addJSONFlag(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *channel == "" || len(pos) == 0 {
		return usagef("attachment put: want --channel C and at least one FILE")
	}
	c, _, err := cf.client()
	if err != nil {
		return err
	}
	atts, err := uploadFiles(ctx, c, *channel, *typ, pos)
	if err != nil {
		return err
	}
	return writeAttachments(m, *asJSON, atts)
}

func writeAttachments(m *Main, asJSON bool, atts []deconflict.Attachment) error {
	return writeList(m.Stdout, asJSON, atts, func(a deconflict.Attachment) []string {
		return []string{a.SHA256, a.Type, strconv.FormatInt(a.Size, 10), a.Name}
	})
}

func runAttachmentGet(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("attachment")
	cf := m.addClientFlags(fs, false)
	channel := fs.String("channel", "", "channel id")
	out := fs.String("o", "", "write the file here (default: standard output)")
	fs.StringVar(out, "out", "", "same as -o")
	index := fs.Int64("index", -1, "fetch every attachment of the envelope at this index")
	dir := fs.String("dir", ".", "with --index: the directory the files are written to, under their signed names")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *channel == "" || (*index < 0) == (len(pos) != 1) || len(pos) > 1 {
		return usagef("attachment get: want --channel C and either one SHA256 or --index N")
	}
	c, _, err := cf.client()
	if err != nil {
		return err
	}
	if *index < 0 {
		if _, err := deconflict.ParseSHA256(pos[0]); err != nil {
			return usagef("attachment get: %s", deconflict.ErrorMessage(err))
		}
		data, _, err := c.GetBlob(ctx, *channel, pos[0])
		if err != nil {
			return err
		}
		if *out == "" || *out == "-" {
			_, err := m.Stdout.Write(data)
			return err
		}
		if err := writeFile(*out, data); err != nil {
			return err
		}
		fmt.Fprintf(m.Stderr, "%s: %d bytes, sha256 checked, written to %s\n", pos[0], len(data), *out)
		return nil
	}
	envs, err := c.Envelopes(ctx, *channel, *index, 1)
	if err != nil {
		return err
	}
	if len(envs) == 0 || envs[0].Index != *index {
		return deconflict.Errorf(deconflict.ENOTFOUND, "channel %s has no envelope at index %d", *channel, *index)
	}
	atts, err := signedAttachments(envs[0])
	if err != nil {
		return err
	}
	if len(atts) == 0 {
		return deconflict.Errorf(deconflict.ENOTFOUND, "the envelope at index %d of %s has no attachment", *index, *channel)
	}
	for _, a := range atts {
		data, _, err := c.GetBlob(ctx, *channel, a.SHA256)
		if err != nil {
			return fmt.Errorf("%s: %w", a.Name, err)
		}
		if int64(len(data)) != a.Size {
			return fmt.Errorf("%s: %d bytes, the envelope signs %d", a.Name, len(data), a.Size)
		}
		// The name was checked by the node (no directory), and is again
		// here, since this writes a file under it.
		if err := deconflict.CheckAttachmentName(a.Name); err != nil {
			return err
		}
		path := filepath.Join(*dir, a.Name)
		if err := writeFile(path, data); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "%s\t%s\t%d\tsha256 checked\t%s\n", a.SHA256, a.Type, a.Size, path)
	}
	return nil
}

// signedAttachments returns the attachments an envelope's signed payload
// carries.
func signedAttachments(v *dhttp.EnvelopeView) ([]deconflict.Attachment, error) {
	var p struct {
		Attachments []deconflict.Attachment `json:"attachments"`
	}
	if err := json.Unmarshal(v.Payload, &p); err != nil {
		return nil, fmt.Errorf("envelope %d: %w", v.Index, err)
	}
	return p.Attachments, nil
}

// attachmentLine is one line of 'attachment list'.
type attachmentLine struct {
	Index  int64  `json:"index"`
	Author string `json:"author"`
	deconflict.Attachment
}

func runAttachmentList(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("attachment")
	cf := m.addClientFlags(fs, false)
	channel := fs.String("channel", "", "channel id")
	asJSON := addJSONFlag(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *channel == "" || len(pos) != 0 {
		return usagef("attachment list: want --channel C only")
	}
	c, _, err := cf.client()
	if err != nil {
		return err
	}
	var lines []attachmentLine
	for from := int64(0); ; {
		envs, err := c.AuditEnvelopes(ctx, *channel, from, 1000)
		if err != nil {
			return err
		}
		for _, v := range envs {
			atts, err := signedAttachments(v)
			if err != nil {
				return err
			}
			for _, a := range atts {
				lines = append(lines, attachmentLine{Index: v.Index, Author: v.Author, Attachment: a})
			}
			from = v.Index + 1
		}
		if len(envs) < 1000 {
			break
		}
	}
	return writeList(m.Stdout, *asJSON, lines, func(l attachmentLine) []string {
		return []string{strconv.FormatInt(l.Index, 10), l.Author, l.SHA256, l.Type, strconv.FormatInt(l.Size, 10), l.Name}
	})
}
