package console_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/sim"
)

// Not committed: a look at the console over the Baltic scenario.
func TestManualDemo(t *testing.T) {
	if os.Getenv("MANUAL_DEMO") == "" {
		t.Skip()
	}
	tn := startNode(t)
	base := tn.Server.URL()
	sc := sim.Baltic(1)
	for _, z := range sc.Zones {
		tn.AddZone(context.Background(), deconflict.NodeAuthor, z)
	}
	real0 := time.Now().UTC()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			simNow := sim.BalticStart.Add(time.Since(real0))
			rs := sc.Step(simNow)
			for i := range rs {
				rs[i].Time = real0.Add(rs[i].Time.Sub(sim.BalticStart))
			}
			if len(rs) > 0 {
				tn.Ingest(ctx, deconflict.NodeAuthor, rs)
			}
			time.Sleep(time.Second)
		}
	}()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromiumPath()), chromedp.Flag("no-sandbox", true), chromedp.WindowSize(1280, 800))
	actx, c1 := chromedp.NewExecAllocator(context.Background(), opts...)
	defer c1()
	root, c2 := chromedp.NewContext(actx)
	defer c2()
	chromedp.Do(root, chromedp.Navigate("about:blank"))
	ru := newBrowser(t, root, "RU", base)
	if err := ru.login("NATO"); err != nil {
		t.Fatal(err)
	}
	for _, at := range []int{75} {
		time.Sleep(time.Until(real0.Add(time.Duration(at) * time.Second)))
		ru.screenshot("/tmp/manual", "demo-"+time.Duration(at*int(time.Second)).String()+".png")
	}
	ru.do(chromedp.Click(chromedp.CSS(`#encounters button.encounter`)), chromedp.Sleep(500*time.Millisecond))
	ru.screenshot("/tmp/manual", "demo-focus.png")
	ru.do(chromedp.Click(chromedp.ID("tab-incidents")), chromedp.Sleep(1500*time.Millisecond))
	ru.screenshot("/tmp/manual", "demo-incidents.png")
	ru.checkNoErrors()
}
