/*
 * bench_fixture: realistic ListClustersResponse pages for the benchmarks.
 *
 * Every cluster is a full ClusterDetails as clusters/list returns it (the
 * same shape as the clusters/get body in nginx.conf.in). Two in three are
 * RUNNING with a driver and 2 to 4 executors; the third is TERMINATED for
 * inactivity, with a termination_reason and no nodes. Names, ids, tags and
 * sizes vary with the index, so 21 clusters make a page of about 48 KB
 * (2.3 KB per cluster on average).
 */
#define _GNU_SOURCE /* open_memstream */
#include "bench_fixture.h"

#include <stdlib.h>

static const char *const teams[] = {"data-eng", "ml-platform", "analytics", "finance-bi", "search"};
static const char *const sources[] = {"API", "UI", "JOB"};

void fixture_cluster_id(long i, char buf[32])
{
    snprintf(buf, 32, "0123-456789-b%07ld", i % 10000000);
}

const char *fixture_cluster_state(long i)
{
    return i % 3 == 2 ? "TERMINATED" : "RUNNING";
}

static void write_node(FILE *f, long i, int k)
{
    /* k = 0: the driver, else executor k */
    fprintf(f,
            "{\"private_ip\":\"10.139.%ld.%d\",%s\"node_id\":\"%08lx%04x4a5f8c7d6e5f4a3b2c1d\","
            "\"instance_id\":\"i-0%07lx%02x60718\",\"start_timestamp\":%lld,"
            "\"node_attributes\":{\"is_spot\":%s},\"host_private_ip\":\"10.139.0.%d\"}",
            64 + i % 64, 10 + k, k == 0 ? "\"public_dns\":\"\"," : "", (unsigned long)i * 2654435761u % 0xffffffffu,
            k * 4099, (unsigned long)i, k, 1714000000000LL + i * 1000, k == 0 ? "false" : "true", 10 + k);
}

static void write_cluster(FILE *f, long i)
{
    char id[32];
    fixture_cluster_id(i, id);
    const char *team = teams[i % 5];
    int running = i % 3 != 2;
    int workers = 2 + (int)(i % 3);
    long long start = 1714000000000LL + i * 60000;
    fprintf(f, "{\"cluster_id\":\"%s\",\"creator_user_name\":\"user%03ld@example.com\",", id, i % 1000);
    if (running) {
        fputs("\"driver\":", f);
        write_node(f, i, 0);
        fputs(",\"executors\":[", f);
        for (int k = 1; k <= workers; k++) {
            if (k > 1)
                fputc(',', f);
            write_node(f, i, k);
        }
        fprintf(f, "],\"spark_context_id\":%lld,\"jdbc_port\":10000,", 7081234567890123456LL + i);
    }
    fprintf(f,
            "\"cluster_name\":\"%s-etl-%03ld\",\"spark_version\":\"15.4.x-scala2.12\","
            "\"spark_conf\":{\"spark.databricks.delta.preview.enabled\":\"true\","
            "\"spark.sql.shuffle.partitions\":\"auto\"},"
            "\"aws_attributes\":{\"first_on_demand\":1,\"availability\":\"SPOT_WITH_FALLBACK\","
            "\"zone_id\":\"us-west-2%c\",\"spot_bid_price_percent\":100,\"ebs_volume_count\":0},"
            "\"node_type_id\":\"i3.xlarge\",\"driver_node_type_id\":\"i3.xlarge\","
            "\"custom_tags\":{\"team\":\"%s\",\"cost_center\":\"%04ld\"},"
            "\"spark_env_vars\":{\"PYSPARK_PYTHON\":\"/databricks/python3/bin/python3\"},"
            "\"cluster_log_conf\":{\"dbfs\":{\"destination\":\"dbfs:/cluster-logs/%s\"}},"
            "\"init_scripts\":[{\"workspace\":{\"destination\":\"/Shared/init/setup-%s.sh\"}}],"
            "\"policy_id\":\"E0631F5C0D%06lX\","
            "\"autotermination_minutes\":120,\"enable_elastic_disk\":false,\"cluster_source\":\"%s\","
            "\"enable_local_disk_encryption\":false,\"instance_source\":{\"node_type_id\":\"i3.xlarge\"},"
            "\"driver_instance_source\":{\"node_type_id\":\"i3.xlarge\"},"
            "\"data_security_mode\":\"SINGLE_USER\",\"single_user_name\":\"user%03ld@example.com\","
            "\"runtime_engine\":\"PHOTON\",\"effective_spark_version\":\"15.4.x-photon-scala2.12\","
            "\"state\":\"%s\",",
            team, i, "abc"[i % 3], team, 1000 + i % 9000, id, team, (unsigned long)(i % 5) * 0x1111,
            sources[i % 3], i % 1000, fixture_cluster_state(i));
    if (running)
        fprintf(f,
                "\"state_message\":\"\",\"start_time\":%lld,\"last_state_loss_time\":%lld,"
                "\"last_restarted_time\":%lld,\"num_workers\":%d,\"cluster_memory_mb\":%d,"
                "\"cluster_cores\":%d.0,",
                start, start + 300000, start + 300000, workers, 31232 * (workers + 1), 4 * (workers + 1));
    else
        fprintf(f,
                "\"state_message\":\"Inactive cluster terminated (inactive for 120 minutes).\","
                "\"start_time\":%lld,\"terminated_time\":%lld,\"last_activity_time\":%lld,"
                "\"termination_reason\":{\"code\":\"INACTIVITY\",\"type\":\"SUCCESS\","
                "\"parameters\":{\"inactivity_duration_min\":\"120\"}},\"num_workers\":%d,",
                start, start + 7500000, start + 300000, workers);
    fprintf(f,
            "\"default_tags\":{\"Vendor\":\"Databricks\",\"Creator\":\"user%03ld@example.com\","
            "\"ClusterName\":\"%s-etl-%03ld\",\"ClusterId\":\"%s\"},\"init_scripts_safe_mode\":false,"
            "\"spec\":{\"cluster_name\":\"%s-etl-%03ld\",\"spark_version\":\"15.4.x-scala2.12\","
            "\"node_type_id\":\"i3.xlarge\",\"num_workers\":%d,\"autotermination_minutes\":120,"
            "\"data_security_mode\":\"SINGLE_USER\",\"single_user_name\":\"user%03ld@example.com\","
            "\"runtime_engine\":\"PHOTON\"}}",
            i % 1000, team, i, id, team, i, workers, i % 1000);
}

long fixture_write_page(FILE *f, long clusters, long long min_bytes, long long *bytes)
{
    long n = 0;
    long long start = ftell(f);
    fputs("{\"clusters\":[", f);
    while (clusters > 0 ? n < clusters : ftell(f) - start + 2 < min_bytes) {
        if (n)
            fputc(',', f);
        write_cluster(f, n++);
    }
    fputs("]}", f);
    if (fflush(f) != 0 || ferror(f))
        return -1;
    *bytes = ftell(f) - start;
    return n;
}

char *fixture_page(long clusters, size_t *len)
{
    char *p = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&p, &n);
    if (!f)
        return NULL;
    long long bytes = 0;
    long rc = fixture_write_page(f, clusters, 0, &bytes);
    fclose(f);
    if (rc < 0) {
        free(p);
        return NULL;
    }
    *len = n;
    return p;
}
