// Package ais decodes AIS (Automatic Identification System) traffic as
// receiver networks record it: NMEA 0183 !xxVDM and !xxVDO sentences from
// any talker, with NMEA 4 tag blocks (s:, c:, g:), USCG-style station and
// time suffixes, epoch-seconds prefixes, and the $PGHP (Gatehouse) and
// $--ZDA time lines of some feeds. It verifies checksums, reassembles
// multi-sentence messages with bounded memory, and decodes message types
// 1-27 into a caller-owned Message without allocating on the position
// report path.
//
// Messages print as gpsd-compatible JSON (AppendJSON: the fields, order and
// scaling of 'gpsdecode -j' from gpsd 3.22) and convert to
// deconflict.Report (Message.Report, ReadReports). The package does no file
// or network I/O of its own; Reader and ReadReports stream from an
// io.Reader given to them.
//
// Known differences from gpsd are listed in docs/formats-ais.md and
// asserted by the tests that compare with gpsdecode.
package ais
