package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
)

// runQuotas prints today's usage of the paid APIs and their budgets.
func runQuotas(ctx context.Context, args []string) int { return quotasShow(ctx, args, stdio) }

func quotasShow(ctx context.Context, args []string, std cliIO) int {
	a := newAPICommand("quotas", "Print today's usage of the paid APIs per provider, with the daily limits set.", std)
	if code := a.load(args, 0); code >= 0 {
		return code
	}
	q, err := a.client.Quotas(ctx)
	return a.done(q, err, func(w io.Writer) {
		fmt.Fprintf(w, "Usage on %s (%s)\n\n", q.Day, q.Timezone)
		names := make([]string, 0, len(q.Services))
		for n := range q.Services {
			names = append(names, n)
		}
		slices.Sort(names)
		if len(names) == 0 {
			fmt.Fprintln(w, "Nothing counted yet today.")
		} else {
			rows := [][]string{{"SERVICE", "USED", "LIMIT", "LEFT", "UNIT"}}
			for _, n := range names {
				u := q.Services[n]
				limit, left := "-", "-"
				if u.Limit != nil {
					limit = strconv.FormatInt(*u.Limit, 10)
				}
				if u.Remaining != nil {
					left = strconv.FormatInt(*u.Remaining, 10)
				}
				rows = append(rows, []string{n, strconv.FormatInt(u.Used, 10), limit, left, u.Unit})
			}
			writeTable(w, "", rows)
		}
		fmt.Fprintf(w, "\nYouTube: %d uploads and %d thumbnails left today (%s model).\n", q.YouTube.UploadsLeft, q.YouTube.ThumbnailsLeft, q.YouTube.Model)
		fmt.Fprintln(w, "Daily counters reset at midnight Pacific time; set limits with <PROVIDER>_DAILY_<UNIT>.")
	})
}
