package http_test

import (
	"context"
	"encoding/json"

	"github.com/deconflict/deconflict/detect"
	dhttp "github.com/deconflict/deconflict/http"
)

func detectConfig() detect.Config { return detect.Config{} }

func postJSON(c *dhttp.Client, path string, body []byte, out any) error {
	var raw json.RawMessage = body
	return c.Do(context.Background(), "POST", path, raw, out)
}

func getJSON(c *dhttp.Client, path string, out any) error {
	return c.Do(context.Background(), "GET", path, nil, out)
}
