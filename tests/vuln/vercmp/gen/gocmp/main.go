// gocmp answers "a<TAB>b" lines with golang.org/x/mod/semver (Debian's
// golang-golang-x-mod-dev): Compare for valid pairs, "invalid" otherwise.
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/semver"
)

func main() {
	in := bufio.NewScanner(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		f := strings.SplitN(in.Text(), "\t", 2)
		if len(f) != 2 {
			continue
		}
		res := "invalid"
		if semver.IsValid(f[0]) && semver.IsValid(f[1]) {
			res = fmt.Sprint(semver.Compare(f[0], f[1]))
		}
		fmt.Fprintf(out, "%s\t%s\t%s\n", f[0], f[1], res)
	}
}
