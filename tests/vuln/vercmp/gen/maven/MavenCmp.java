// MavenCmp answers "a<TAB>b" lines with Maven's own ComparableVersion
// (maven-artifact 3.8.7 from Debian's maven package).
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import org.apache.maven.artifact.versioning.ComparableVersion;

public class MavenCmp {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintWriter out = new PrintWriter(System.out);
        String l;
        while ((l = in.readLine()) != null) {
            int i = l.indexOf('\t');
            if (i < 0) continue;
            String a = l.substring(0, i), b = l.substring(i + 1);
            int c = new ComparableVersion(a).compareTo(new ComparableVersion(b));
            out.println(a + "\t" + b + "\t" + Integer.signum(c));
        }
        out.flush();
    }
}
