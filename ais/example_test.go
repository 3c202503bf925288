package ais_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/ais"
)

func ExampleDecoder() {
	d := ais.NewDecoder()
	var m ais.Message // reused: decoding does not allocate
	for _, line := range []string{
		`\s:rEV02,c:1334337317*58\!AIVDM,1,1,,B,19NWuLhuRb5QHfCpPcwj` + "`" + `26B0<02,0*5F`,
		"!AIVDM,2,1,1,A,55?MbV02;H;s<HtKR20EHE:0@T4@Dn2222222216L961O5Gf0NSQEp6ClRp8,0*1C",
		"!AIVDM,2,2,1,A,88888888880,2*25",
	} {
		ok, err := d.Decode([]byte(line), &m)
		if err != nil {
			fmt.Println(err)
			continue
		}
		if !ok {
			continue // first sentence of two
		}
		switch m.Type {
		case 1, 2, 3:
			lat, _ := m.LatDeg()
			lon, _ := m.LonDeg()
			fmt.Printf("type %d from %d at %s: %.5f %.5f\n", m.Type, m.MMSI, m.Time.Format("15:04:05"), lat, lon)
		case 5:
			fmt.Printf("type %d from %d: %q, callsign %q\n", m.Type, m.MMSI, m.ShipName(), m.Callsign())
		}
	}
	// Output:
	// type 1 from 636091763 at 17:15:17: -13.08843 77.19841
	// type 5 from 351759000: "EVER DIADEM", callsign "3FOF8"
}

func ExampleMessage_AppendJSON() {
	var m ais.Message
	if err := m.DecodePayload([]byte("91b55wi;hbOS@OdQAC062Ch2089h"), 0); err != nil {
		panic(err)
	}
	os.Stdout.Write(append(m.AppendJSON(nil, "stdin"), '\n'))
	// Output:
	// {"class":"AIS","device":"stdin","type":9,"repeat":0,"mmsi":111232511,"scaled":true,"alt":303,"speed":42,"accuracy":false,"lon":-6.278843,"lat":58.144000,"course":154.5,"second":15,"regional":0,"dte":1,"raim":false,"radio":33392}
}

func ExampleReadReports() {
	feed := "$GPZDA,114702.51,27,01,2012,,*66\n!AIVDM,1,1,,B,91b55wi;hbOS@OdQAC062Ch2089h,0*30\n"
	err := ais.ReadReports(strings.NewReader(feed), func(r deconflict.Report) error {
		fmt.Printf("%s %s %s alt %.0f m, %.1f m/s\n", r.Time.Format("2006-01-02T15:04:05.00"), r.ID, r.Domain, r.AltM, r.SpeedMS)
		return nil
	})
	if err != nil {
		panic(err)
	}
	// Output:
	// 2012-01-27T11:47:02.51 mmsi:111232511 air alt 303 m, 21.6 m/s
}
