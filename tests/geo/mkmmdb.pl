#!/usr/bin/perl
# mkmmdb.pl OUTDIR - write the two tiny MaxMind DB files the geolocation tests use, with
# MaxMind's own writer (Debian: libmaxmind-db-writer-perl):
#   OUTDIR/asn.mmdb            GeoLite2-ASN schema: autonomous_system_number,
#                              autonomous_system_organization
#   OUTDIR/city-geoip2.mmdb    GeoIP2-City schema: country.iso_code, location.latitude,
#                              location.longitude, location.accuracy_radius
# The networks are real allocations; their numbers and places are fixed here, not looked up,
# so the tests do not depend on any vendor's data.
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my $out = shift or die "usage: mkmmdb.pl OUTDIR\n";

my %asn_types = (
    autonomous_system_number       => 'uint32',
    autonomous_system_organization => 'utf8_string',
);
my $asn = MaxMind::DB::Writer::Tree->new(
    ip_version            => 6,
    record_size           => 24,
    database_type         => 'GeoLite2-ASN',
    languages             => ['en'],
    description           => { en => 'Yagura test ASN database' },
    map_key_type_callback => sub { $asn_types{ $_[0] } },
);
$asn->insert_network('202.232.0.0/16', { autonomous_system_number => 2497,
    autonomous_system_organization => 'Internet Initiative Japan Inc.' });
$asn->insert_network('133.242.0.0/16', { autonomous_system_number => 7684,
    autonomous_system_organization => 'SAKURA Internet Inc.' });
$asn->insert_network('185.220.101.0/24', { autonomous_system_number => 60729,
    autonomous_system_organization => 'Stiftung Erneuerbare Freiheit' });
$asn->insert_network('2001:4860::/32', { autonomous_system_number => 15169,
    autonomous_system_organization => 'GOOGLE' });

my %city_types = (
    country         => 'map',
    iso_code        => 'utf8_string',
    location        => 'map',
    latitude        => 'double',
    longitude       => 'double',
    accuracy_radius => 'uint16',
);
my $city = MaxMind::DB::Writer::Tree->new(
    ip_version            => 6,
    record_size           => 28,
    database_type         => 'GeoIP2-City',
    languages             => ['en'],
    description           => { en => 'Yagura test city database (GeoIP2 schema)' },
    map_key_type_callback => sub { $city_types{ $_[0] } },
);
$city->insert_network('202.232.0.0/16', { country => { iso_code => 'JP' },
    location => { latitude => 35.6895, longitude => 139.6917, accuracy_radius => 50 } });
$city->insert_network('81.2.69.0/24', { country => { iso_code => 'GB' },
    location => { latitude => 51.5074, longitude => -0.1278, accuracy_radius => 200 } });

for my $t ([ $asn, 'asn.mmdb' ], [ $city, 'city-geoip2.mmdb' ]) {
    open my $fh, '>:raw', "$out/$t->[1]" or die "$out/$t->[1]: $!\n";
    $t->[0]->write_tree($fh);
    close $fh or die "$out/$t->[1]: $!\n";
}
