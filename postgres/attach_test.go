package postgres_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/internal/nodetest"
)

// TestAttachmentAcrossReplicas: two replicas of one node share a
// database. A file uploaded through one is attachable through the other
// (the envelope is checked against the shared blobs) and fetched, checked
// against its hash, through either.
func TestAttachmentAcrossReplicas(t *testing.T) {
	dsn := server.NewDatabase(t)
	ctx := context.Background()
	a := nodetest.Start(t, nodetest.Options{Store: open(t, dsn)})
	b := a.Replica(t, open(t, dsn))
	a.AddParties(t, "RU", "US")
	a.AddChannel(t, "ru-us", []string{"RU", "US"}, nil)
	chart := bytes.Repeat([]byte("%PDF-1.4 chart of the Black Sea "), 200)
	v, err := a.Client("US").PutBlob(ctx, "ru-us", "application/pdf", chart)
	if err != nil {
		t.Fatal(err)
	}
	att := deconflict.Attachment{SHA256: v.SHA256, Name: "chart-black-sea.pdf", Type: "application/pdf", Size: int64(len(chart))}
	if _, err := b.Client("US").Send(ctx, "US", &deconflict.Payload{Channel: "ru-us", Kind: deconflict.KindMessage, Precedence: deconflict.Priority, Text: "the chart", Attachments: []deconflict.Attachment{att}}); err != nil {
		t.Fatalf("send through the other replica: %v", err)
	}
	for name, r := range map[string]*nodetest.Node{"a": a, "b": b} {
		got, typ, err := r.Client("RU").GetBlob(ctx, "ru-us", v.SHA256)
		if err != nil || !bytes.Equal(got, chart) || typ != "application/pdf" {
			t.Fatalf("RU fetching through %s: %d bytes as %q, %v", name, len(got), typ, err)
		}
	}
}
