#!/usr/bin/ruby
# ref_gem.rb - answer "a<TAB>b" lines with Debian's RubyGems (Gem::Version#<=>).
require "rubygems"
$stdin.each_line do |l|
  next unless l.include?("\t")
  a, b = l.chomp.split("\t", 2)
  res = if Gem::Version.correct?(a) && Gem::Version.correct?(b) && !a.strip.empty? && !b.strip.empty?
          (Gem::Version.new(a) <=> Gem::Version.new(b)).to_s
        else
          "invalid"
        end
  puts "#{a}\t#{b}\t#{res}"
end
